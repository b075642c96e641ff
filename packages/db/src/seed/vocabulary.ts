// Word lists the demo catalog is generated from: plausible names without shipping a data set.

export interface CategorySpec {
  slug: string;
  name: string;
  nouns: readonly string[];
  /** Typical price range in cents. */
  price: readonly [number, number];
}

export const CATEGORIES: readonly CategorySpec[] = [
  {
    slug: 'kitchen',
    name: 'Kitchen',
    nouns: ['Chef Knife', 'Skillet', 'Dutch Oven', 'Cutting Board', 'Kettle', 'Colander', 'Whisk', 'Saucepan', 'Mixing Bowl', 'Teapot'],
    price: [599, 24_999],
  },
  {
    slug: 'furniture',
    name: 'Furniture',
    nouns: ['Armchair', 'Bookshelf', 'Side Table', 'Desk', 'Stool', 'Sofa', 'Bench', 'Dresser', 'Coat Rack', 'Bed Frame'],
    price: [2_999, 149_999],
  },
  {
    slug: 'lighting',
    name: 'Lighting',
    nouns: ['Floor Lamp', 'Desk Lamp', 'Pendant Light', 'Lantern', 'Wall Sconce', 'String Lights', 'Night Light', 'Ceiling Fan Light'],
    price: [999, 39_999],
  },
  {
    slug: 'outdoor',
    name: 'Outdoor',
    nouns: ['Tent', 'Hammock', 'Camping Stove', 'Sleeping Bag', 'Folding Chair', 'Cooler', 'Headlamp', 'Trekking Poles', 'Backpack'],
    price: [1_499, 59_999],
  },
  {
    slug: 'audio',
    name: 'Audio',
    nouns: ['Headphones', 'Bookshelf Speaker', 'Turntable', 'Soundbar', 'Earbuds', 'Radio', 'Amplifier', 'Microphone'],
    price: [1_999, 89_999],
  },
  {
    slug: 'books',
    name: 'Books',
    nouns: ['Cookbook', 'Field Guide', 'Atlas', 'Notebook', 'Sketchbook', 'Journal', 'Planner', 'Almanac'],
    price: [499, 5_999],
  },
  {
    slug: 'garden',
    name: 'Garden',
    nouns: ['Planter', 'Watering Can', 'Pruning Shears', 'Trowel', 'Seed Kit', 'Garden Hose', 'Bird Feeder', 'Compost Bin'],
    price: [399, 19_999],
  },
  {
    slug: 'apparel',
    name: 'Apparel',
    nouns: ['Rain Jacket', 'Wool Sweater', 'T-Shirt', 'Scarf', 'Beanie', 'Flannel Shirt', 'Hoodie', 'Chinos', 'Socks'],
    price: [999, 29_999],
  },
  {
    slug: 'bath',
    name: 'Bath',
    nouns: ['Towel Set', 'Bath Mat', 'Soap Dish', 'Shower Curtain', 'Robe', 'Toothbrush Holder', 'Bath Caddy'],
    price: [499, 12_999],
  },
  {
    slug: 'toys',
    name: 'Toys',
    nouns: ['Building Blocks', 'Puzzle', 'Kite', 'Wooden Train', 'Board Game', 'Plush Bear', 'Yo-Yo', 'Marble Run'],
    price: [399, 14_999],
  },
  {
    slug: 'office',
    name: 'Office',
    nouns: ['Fountain Pen', 'Desk Organizer', 'Stapler', 'Monitor Stand', 'Letter Tray', 'Paper Clips', 'Desk Mat', 'Bookends'],
    price: [299, 19_999],
  },
  {
    slug: 'sports',
    name: 'Sports',
    nouns: ['Yoga Mat', 'Dumbbell', 'Jump Rope', 'Tennis Racket', 'Football', 'Water Bottle', 'Bike Helmet', 'Running Shoes'],
    price: [799, 34_999],
  },
];

export const ADJECTIVES = [
  'Classic',
  'Compact',
  'Rustic',
  'Modern',
  'Nordic',
  'Vintage',
  'Everyday',
  'Deluxe',
  'Minimal',
  'Sturdy',
  'Handmade',
  'Foldable',
  'Lightweight',
  'Heritage',
  'Coastal',
  'Urban',
  'Alpine',
  'Studio',
  'Premium',
  'Essential',
] as const;

export const MATERIALS = [
  'Oak',
  'Walnut',
  'Bamboo',
  'Cotton',
  'Linen',
  'Ceramic',
  'Cast Iron',
  'Copper',
  'Steel',
  'Wool',
  'Leather',
  'Glass',
  'Stoneware',
  'Cork',
  'Birch',
  'Canvas',
  'Brass',
  'Marble',
  'Recycled',
  'Teak',
] as const;

export const COLOURS = ['Slate', 'Sage', 'Terracotta', 'Ivory', 'Charcoal', 'Ocean', 'Mustard', 'Forest', 'Rose', 'Sand'] as const;

export const PHRASES = [
  'Built to last for years of daily use.',
  'Designed in small batches with care.',
  'Easy to clean and simple to store.',
  'A quiet upgrade to the things you use every day.',
  'Finished by hand and checked piece by piece.',
  'Pairs well with the rest of the collection.',
  'Made from responsibly sourced materials.',
  'Backed by a two-year guarantee.',
  'Light enough to carry, strong enough to rely on.',
  'A gift that gets used, not put away.',
] as const;

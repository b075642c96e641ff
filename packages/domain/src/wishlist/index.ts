export { addItem, listItems, removeItem } from './wishlist.service.ts';

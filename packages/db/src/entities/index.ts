import { Cart, CartItem } from './cart.ts';
import { Category, Product, ProductOption, ProductVariant, SearchTermCategory, SearchWord } from './catalog.ts';
import { ChatMessage, ChatRoom } from './chat.ts';
import { EmailOutbox } from './mail.ts';
import { Order, OrderEvent, OrderLine } from './order.ts';
import { Promotion } from './promotion.ts';
import { LowStock, SocketPresence } from './stats.ts';
import { RecoveryCode, User } from './user.ts';
import { WishlistItem } from './wishlist.ts';

export * from './cart.ts';
export * from './catalog.ts';
export * from './chat.ts';
export * from './mail.ts';
export * from './order.ts';
export * from './promotion.ts';
export * from './stats.ts';
export * from './user.ts';
export * from './wishlist.ts';

export const entities = [
  User,
  Category,
  Product,
  ProductVariant,
  ProductOption,
  SearchWord,
  SearchTermCategory,
  Promotion,
  Cart,
  CartItem,
  WishlistItem,
  Order,
  OrderLine,
  OrderEvent,
  EmailOutbox,
  ChatRoom,
  ChatMessage,
  RecoveryCode,
  LowStock,
  SocketPresence,
];

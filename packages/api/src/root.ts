import { adminRouter } from './routers/admin.ts';
import { authRouter } from './routers/auth.ts';
import { cartRouter } from './routers/cart.ts';
import { catalogRouter } from './routers/catalog.ts';
import { chatRouter } from './routers/chat.ts';
import { checkoutRouter } from './routers/checkout.ts';
import { ordersRouter } from './routers/orders.ts';
import { wishlistRouter } from './routers/wishlist.ts';
import { createCallerFactory, router } from './trpc.ts';

export const appRouter = router({
  admin: adminRouter,
  auth: authRouter,
  cart: cartRouter,
  catalog: catalogRouter,
  chat: chatRouter,
  checkout: checkoutRouter,
  orders: ordersRouter,
  wishlist: wishlistRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);

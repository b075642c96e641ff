import { type QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { lazy, Suspense } from 'react';
import { Link, Route, Switch } from 'wouter';
import { Header } from './components/Header.tsx';
import { ToastProvider } from './components/Toasts.tsx';
import { type Api, ReconnectLiveProvider, TRPCProvider } from './lib/trpc.ts';
import { CatalogPage } from './pages/CatalogPage.tsx';

// Routes beyond the landing page load on demand.
const ProductPage = lazy(() => import('./pages/ProductPage.tsx'));
const CartPage = lazy(() => import('./pages/CartPage.tsx'));
const AuthPage = lazy(() => import('./pages/AuthPage.tsx'));
const CheckoutPage = lazy(() => import('./pages/CheckoutPage.tsx'));
const OrderPage = lazy(() => import('./pages/OrderPage.tsx'));
const OrdersPage = lazy(() => import('./pages/OrdersPage.tsx'));
const WishlistPage = lazy(() => import('./pages/WishlistPage.tsx'));
const ChatPage = lazy(() => import('./pages/ChatPage.tsx'));
const StaffPage = lazy(() => import('./pages/StaffPage.tsx'));
const StaffPromotionsPage = lazy(() => import('./pages/StaffPromotionsPage.tsx'));

export function App({ queryClient, api }: { queryClient: QueryClient; api: Api }) {
  return (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={api.client} queryClient={queryClient}>
        <ReconnectLiveProvider value={api.reconnectLive}>
          <ToastProvider>
            <a className="skip-link" href="#main">
              Skip to content
            </a>
            <Header />
            <main id="main">
              <Suspense fallback={<p className="status">Loading…</p>}>
                <Switch>
                  <Route path="/" component={CatalogPage} />
                  <Route path="/c/:category" component={CatalogPage} />
                  <Route path="/p/:slug">{(params) => <ProductPage slug={params.slug} />}</Route>
                  <Route path="/cart" component={CartPage} />
                  <Route path="/checkout" component={CheckoutPage} />
                  <Route path="/orders" component={OrdersPage} />
                  <Route path="/orders/:id">{(params) => <OrderPage id={params.id} />}</Route>
                  <Route path="/wishlist" component={WishlistPage} />
                  <Route path="/chat" component={ChatPage} />
                  <Route path="/staff" component={StaffPage} />
                  <Route path="/staff/promotions" component={StaffPromotionsPage} />
                  <Route path="/signin">{() => <AuthPage mode="signin" />}</Route>
                  <Route path="/signup">{() => <AuthPage mode="signup" />}</Route>
                  <Route>
                    <section className="empty">
                      <h1>Page not found</h1>
                      <Link href="/">Back to the shop</Link>
                    </section>
                  </Route>
                </Switch>
              </Suspense>
            </main>
          </ToastProvider>
        </ReconnectLiveProvider>
      </TRPCProvider>
    </QueryClientProvider>
  );
}

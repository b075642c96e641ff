import type { ServiceContext } from '../context.ts';

/** Moves a guest's cart into the user's at sign-in. (Filled in with the cart service.) */
export async function mergeGuestCart(_ctx: ServiceContext, _userId: string): Promise<void> {}

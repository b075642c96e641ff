// The wishlist service's public functions are exported here.
export {};

// The checkout service's public functions are exported here.
export {};

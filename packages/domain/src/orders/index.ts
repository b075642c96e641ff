// The orders service's public functions are exported here.
export {};

// The admin service's public functions are exported here.
export {};

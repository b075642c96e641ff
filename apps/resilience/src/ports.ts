// Every server this suite starts listens on 127.0.0.1 in 4800–4999, the range it was given.
import { freePort as freePortIn, type PortRange } from '@shop/proc';

export const RESILIENCE_PORTS: PortRange = { first: 4800, last: 4999 };

/** A port of the range that nothing listens on and that this process has not handed out yet. */
export const freePort = (): Promise<number> => freePortIn(RESILIENCE_PORTS);

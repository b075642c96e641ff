// Every port the benchmark listens on comes from its own range.
import { freePort, freePorts, type PortRange } from '@shop/proc';

export const BENCH_PORTS: PortRange = { first: 4500, last: 4799 };

export const port = (): Promise<number> => freePort(BENCH_PORTS);
export const ports = (n: number): Promise<number[]> => freePorts(n, BENCH_PORTS);

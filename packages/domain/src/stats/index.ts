export { removeSockets, reportSockets } from './presence.ts';
export { announceStatsChanged, STATS_MIN_INTERVAL_MS, streamStaffStats } from './stats.service.ts';
export { STATS_TIME_ZONE } from './stats-query.ts';

import { type Db, sql } from '../sql.ts';

/** One instance's open WebSockets, valid for `ttlMs` unless refreshed (its heartbeat). */
export async function reportSockets(db: Db, presence: { instance: string; name: string; sockets: number; ttlMs: number }): Promise<void> {
  await sql(
    db,
    `insert into socket_presence (instance, name, sockets, expires_at) values (?, ?, ?, now() + ? * interval '1 millisecond')
     on conflict (instance) do update set sockets = excluded.sockets, expires_at = excluded.expires_at`,
    [presence.instance, presence.name, presence.sockets, presence.ttlMs],
  );
}

/** At shutdown: the instance's sockets count no more (a crashed one's row expires instead). */
export async function removeSockets(db: Db, instance: string): Promise<void> {
  // Other instances' long-expired rows go too, so the table holds only the living and the recent dead.
  await sql(db, `delete from socket_presence where instance = ? or expires_at < now() - interval '1 day'`, [instance]);
}

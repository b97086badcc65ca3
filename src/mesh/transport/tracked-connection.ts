/** The bookkeeping every transport does for its connections: which are open, in all and per listener. */
import { FrameConnection, type FrameConnectionInit } from './frame-connection.ts';

/** A connection kept in `all` and in `group` (a listener's, when given) until it closes. */
export function trackedConnection(
  init: Omit<FrameConnectionInit, 'onClosed'>,
  all: Set<FrameConnection>,
  group: Set<FrameConnection> | undefined,
): FrameConnection {
  const conn = new FrameConnection({
    ...init,
    onClosed: (closed) => {
      all.delete(closed);
      group?.delete(closed);
    },
  });
  all.add(conn);
  group?.add(conn);
  return conn;
}

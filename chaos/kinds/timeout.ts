import { toxicKind } from '../link-kind.js';

// Data is dropped and the connection closed after `timeout` ms. Not 0 by default: with 0
// the connection survives and carries on after the toxic goes, minus the dropped bytes,
// which no real TCP stream does (a Redis client then matches replies to the wrong commands).
export default toxicKind(
  'timeout',
  { timeout: 2000 },
  'a blackholed link: data dropped, silent connections closed after `timeout` ms',
);

import { toxicKind } from '../link-kind.js';

export default toxicKind('latency', { latency: 200, jitter: 50 }, 'added latency (ms) with jitter on a link');

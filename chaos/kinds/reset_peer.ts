import { toxicKind } from '../link-kind.js';

export default toxicKind('reset_peer', { timeout: 0 }, 'connections reset (TCP RST) after `timeout` ms');

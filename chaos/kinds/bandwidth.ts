import { toxicKind } from '../link-kind.js';

export default toxicKind('bandwidth', { rate: 16 }, 'a link limited to `rate` KB/s');

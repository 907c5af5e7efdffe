import { toxicKind } from '../link-kind.js';

export default toxicKind('slow_close', { delay: 1000 }, 'connections closed `delay` ms late');

import { toxicKind } from '../link-kind.js';

export default toxicKind('limit_data', { bytes: 1024 }, 'connections closed after `bytes` bytes');

import { toxicKind } from '../link-kind.js';

export default toxicKind(
  'slicer',
  { average_size: 16, size_variation: 8, delay: 10 },
  'data sliced into small packets with delays between them',
);

export { partition as default } from '../link-kind.js';

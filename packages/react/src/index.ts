export { useStyleTransfer, type UseStyleTransfer, type UseStyleTransferOptions } from './use-style-transfer.js';

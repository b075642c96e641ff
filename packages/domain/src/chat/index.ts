export { history, listRooms, send, stream } from './chat.service.ts';

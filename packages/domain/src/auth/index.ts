export { loadSessionUser, login, logout, me, register, toUser } from './auth.service.ts';

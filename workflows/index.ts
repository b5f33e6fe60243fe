export { mas2Task, stateQuery, rectifySignal, raiseBudgetUpdate } from './task';
export { ctoCollect, ctoProgressQuery } from './cto';

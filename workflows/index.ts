export { mas2Task, stateQuery, rectifySignal, raiseBudgetUpdate } from './task';

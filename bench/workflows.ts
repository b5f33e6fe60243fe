/** The bench worker's workflows: mas2's own plus the bare baseline, in one bundle. */
export * from '../workflows';
export { bareWorkflow } from './bareWorkflow';

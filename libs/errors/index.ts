// The public entry of libs/errors: other libs, apps/, test/, bench/ and scripts/ import only from here.
export { type FieldError, ProblemError, problems } from './problem.js';

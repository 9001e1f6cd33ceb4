export * from './app-exception';
export * from './error-codes';
export * from './dependency-errors';
export * from './render-error';
export * from './all-exceptions.filter';

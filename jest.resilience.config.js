// The resilience and attack suites (`npm run test:resilience`): the built service as real
// processes behind fault-injecting TCP proxies, plus the HTTP fuzzer. Not part of `npm test`.
const base = require('./jest.config');

module.exports = {
  ...base,
  testMatch: ['<rootDir>/test/resilience/**/*.resilience-spec.ts'],
  globalSetup: '<rootDir>/test/resilience/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  testTimeout: 60_000,
  verbose: true,
  // Timing assertions (503 within 2 s, recovery within 5 s) need the two cores to themselves:
  // one suite at a time, its child processes get the other core.
  maxWorkers: 1,
  // Suites spawn processes and proxies; a handle left by a failed test must not keep CI waiting
  // after the results are written.
  forceExit: true,
};

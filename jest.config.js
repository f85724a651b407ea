// Tests are compiled by `tsc` (npm's pretest) and run as native ES modules:
// the same JavaScript that ships is the JavaScript under test.
export default {
  testEnvironment: 'node',
  roots: ['<rootDir>/dist/test'],
  testMatch: ['**/*.test.js'],
  transform: {},
  testTimeout: 30000,
  maxWorkers: 2,
};

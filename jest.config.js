/** Jest runs the TypeScript sources through ts-jest; @noble/hashes 2.x is ESM-only, so Jest must transform it too. */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/tests"],
  testMatch: ["**/*.test.ts"],
  transform: {
    "^.+\\.tsx?$": ["ts-jest", { tsconfig: "tsconfig.json" }],
    "^.+\\.m?js$": ["ts-jest", { tsconfig: { allowJs: true, isolatedModules: true } }],
  },
  transformIgnorePatterns: ["node_modules/(?!@noble/)"],
  // Generous: CLI and provider tests spawn real processes, which a cold TypeScript cache or a busy 2-core machine slows.
  testTimeout: 180000,
  globalSetup: "<rootDir>/tests/helpers/build-once.js",
};

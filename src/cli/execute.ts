/**
 * The CLI's entry into oclif, imported by bin/run.js. In the build, scripts/bundle-cli.mjs bundles
 * it with the commands, the help class and the hook, so that they share one copy of @oclif/core.
 */
export {execute} from '@oclif/core/execute';

'use strict';
// Prints one plain closing line that CI reads:
//   jest: N passed, N failed, N skipped
// A suite that could not run (syntax error, throwing beforeAll/afterAll,
// crashed worker) counts as one failure, as does an error of the run itself.
// jest's own summary reporter always runs after custom ones, so the line is
// written when the process exits, to stay the last line of the run; with
// fd 1 directly, because jest's forceExit (the `exit` package) mutes
// process.stdout.write by then.
const fs = require('fs');

class SummaryReporter {
  constructor(globalConfig) {
    this._watch = Boolean(globalConfig && (globalConfig.watch || globalConfig.watchAll));
    this._line = undefined;
    this._onExit = () => this._print();
  }

  onRunComplete(_testContexts, results) {
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites + (results.runExecError ? 1 : 0);
    const skipped = results.numPendingTests + results.numTodoTests;
    this._line = `jest: ${results.numPassedTests} passed, ${failed} failed, ${skipped} skipped`;
    if (this._watch) {
      this._print();
    } else {
      process.removeListener('exit', this._onExit);
      process.once('exit', this._onExit);
    }
  }

  _print() {
    if (this._line === undefined) return;
    const buf = Buffer.from(`\n${this._line}\n`);
    this._line = undefined;
    let off = 0;
    for (let tries = 0; off < buf.length && tries < 1000; tries++) {
      try {
        off += fs.writeSync(1, buf, off);
      } catch (err) {
        if (err.code !== 'EAGAIN') return; // stdout closed: nothing to do
      }
    }
  }

  getLastError() {
    return undefined;
  }
}

module.exports = SummaryReporter;

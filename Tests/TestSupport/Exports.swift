// Exports: tests get the loopback servers (the `Loopback` module) with `import TestSupport`.
@_exported import Loopback

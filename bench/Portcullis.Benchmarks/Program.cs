using BenchmarkDotNet.Running;

// Runs the benchmarks named on the command line (BenchmarkDotNet's --filter etc.); bench/run.sh runs them all and
// prints them beside `openssl speed` for the same algorithms.
BenchmarkSwitcher.FromAssembly(typeof(Portcullis.Benchmarks.AeadBenchmarks).Assembly).Run(args);

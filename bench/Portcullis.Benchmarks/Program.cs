using BenchmarkDotNet.Running;

// `tunnels [--count N] [--group G]` runs the concurrent-tunnels measurement (TunnelScale.cs), `cpu [--rounds R]` the
// IKE setup parts and key exchanges in thread CPU time (CpuTimes.cs), `aead [--rounds R] [--seconds S]` per-packet seal
// and open in thread CPU time beside `openssl speed -aead` (AeadCpuTimes.cs); anything else names
// BenchmarkDotNet benchmarks (--filter etc.); bench/run.sh runs them all and prints them beside `openssl speed`.
if (args.Length > 0 && args[0] == "tunnels") return Portcullis.Benchmarks.TunnelScale.Run(args[1..]);
if (args.Length > 0 && args[0] == "aead") return Portcullis.Benchmarks.AeadCpuTimes.Run(args[1..]);
if (args.Length > 0 && args[0] == "cpu") return Portcullis.Benchmarks.CpuTimes.Run(args[1..]);
BenchmarkSwitcher.FromAssembly(typeof(Portcullis.Benchmarks.AeadBenchmarks).Assembly).Run(args);
return 0;

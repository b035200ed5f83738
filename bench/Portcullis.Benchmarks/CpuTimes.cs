namespace Portcullis.Benchmarks;

/// <summary>
/// <c>cpu [--rounds R]</c>: the operations of <see cref="KeyExchangeImplementationBenchmarks"/> and
/// <see cref="IkeSetupBenchmarks"/> timed in this thread's CPU time (CLOCK_THREAD_CPUTIME_ID) rather than wall time,
/// in R interleaved rounds, median per operation. On a machine shared with other work BenchmarkDotNet's wall-clock
/// figures swing by ±50 %; CPU time of the thread swings much less. Ratios are against the first row of each group.
/// </summary>
internal static class CpuTimes
{
    public static int Run(string[] args)
    {
        int rounds = args.Length >= 2 && args[0] == "--rounds" ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 5;
        var cases = new List<(string Group, string Name, Action Op)>();
        foreach (string impl in new[] { "ecp256-bcl", "ecp256-libcrypto", "curve25519-libcrypto", "modp2048-biginteger", "modp2048-libcrypto" })
        {
            var b = new KeyExchangeImplementationBenchmarks { Implementation = impl };
            b.Setup();
            cases.Add(("responder key exchange", impl, b.ResponderKeyExchange));
        }
        foreach (string group in new[] { "ecp256", "modp2048" })
        {
            var b = new IkeSetupBenchmarks { Group = group };
            b.Setup();
            cases.Add(($"IKE setup {group}", "whole setup, both engines", b.Setup_both_sides));
            cases.Add(($"IKE setup {group}", "responder: key exchange", b.KeyExchange));
            cases.Add(($"IKE setup {group}", "responder: SKEYSEED and keys", b.KeyDerivation));
            cases.Add(($"IKE setup {group}", "responder: two PSK AUTH values", b.PskAuth));
            cases.Add(($"IKE setup {group}", "responder: parse IKE_SA_INIT", () => b.Parse()));
        }
        var samples = cases.Select(_ => new List<double>()).ToArray();
        for (int round = -1; round < rounds; round++) // round −1 warms up (JIT tiers), not counted
        {
            for (int i = 0; i < cases.Count; i++)
            {
                // About 50 ms of work per case and round.
                int n = 1;
                long t0 = IkePair.ThreadCpuNanoseconds();
                cases[i].Op();
                long one = Math.Max(1000, IkePair.ThreadCpuNanoseconds() - t0);
                n = (int)Math.Clamp(50_000_000 / one, 5, 100_000);
                long start = IkePair.ThreadCpuNanoseconds();
                for (int k = 0; k < n; k++) cases[i].Op();
                if (round >= 0) samples[i].Add((IkePair.ThreadCpuNanoseconds() - start) / 1e3 / n);
            }
        }
        Console.WriteLine($"# {DateTime.UtcNow:yyyy-MM-ddTHH:mm:ssZ} {Environment.ProcessorCount} cores, .NET {Environment.Version}, thread CPU time, median of {rounds} interleaved rounds");
        Console.WriteLine("| group | operation | CPU µs/op (median) | min–max | ratio to the group's first row |");
        Console.WriteLine("|---|---|---|---|---|");
        string? current = null;
        double reference = 0;
        for (int i = 0; i < cases.Count; i++)
        {
            double[] sorted = [.. samples[i].Order()];
            double median = sorted[sorted.Length / 2];
            if (cases[i].Group != current) (current, reference) = (cases[i].Group, median);
            Console.WriteLine($"| {cases[i].Group} | {cases[i].Name} | {median:F1} | {sorted[0]:F1}–{sorted[^1]:F1} | {median / reference:F2} |");
        }
        return 0;
    }
}

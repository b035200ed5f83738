using System.Diagnostics;
using Portcullis.Core.Ikev2;

namespace Portcullis.Benchmarks;

/// <summary>
/// <c>tunnels [--count N] [--group G]</c>: N concurrent IKE SA + CHILD SA pairs set up between two in-process engines
/// (<see cref="IkePair"/>), one after another on this thread. Reports the time, the responder's own time and
/// allocations per setup (first tenth and the rest, so a table scan that grows with the SA count shows), and the
/// memory the responder holds for the N pairs: managed (GC.GetTotalMemory after a full collection), native (malloc
/// in use) and resident (the process's RSS delta). Each tunnel's initiator is its own engine, disposed once its SA
/// is up, so the memory is the responder's alone. A benchmark, not a test: it asserts nothing but that every SA came
/// up.
/// </summary>
internal static class TunnelScale
{
    public static int Run(string[] args)
    {
        int count = 10_000;
        string group = "ecp256";
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--count": count = int.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture); break;
                case "--group": group = args[i + 1]; break;
                default: Console.Error.WriteLine($"unknown option {args[i]}"); return 2;
            }
        }
        string proposal = $"aes128gcm16-prfsha256-{group}";

        // JIT and the crypto libraries' first use out of the figures.
        var warm = new IkePair(proposal, 64);
        for (int i = 0; i < 64; i++) warm.Establish(i);
        warm = null;

        // A fresh initiator engine per tunnel (as separate clients), disposed once its SA is up: what stays is the
        // responder's, which is the gateway's memory per tunnel.
        var pair = new IkePair(proposal, count, clientPerSetup: true);
        (long managed0, long rss0, long native0) = Memory();
        int tenth = Math.Max(1, count / 10);
        long start = Stopwatch.GetTimestamp();
        TimeSpan cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        long firstCpu = 0, firstAllocated = 0;
        for (int i = 0; i < count; i++)
        {
            pair.Establish(i);
            if (i == tenth - 1) (firstCpu, firstAllocated) = (pair.ResponderCpuNanoseconds, pair.ResponderAllocated);
        }
        double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        double cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds;

        int ikeUp = pair.Responder.IkeSas.Count(s => s.State == IkeSaState.Established);
        int childUp = pair.Responder.IkeSas.Sum(s => s.Children.Count);
        if (ikeUp != count || childUp != count || pair.ResponderChildren != count)
        {
            Console.Error.WriteLine($"only {ikeUp} IKE SAs and {childUp} CHILD SAs of {count} came up at the responder");
            return 1;
        }
        // What every turn of the daemon's loop costs with N SAs: NextTimeout and HandleTimeout (the engine's timer
        // queue; before it, both walked every IKE SA).
        // 1,000 turns first so that the JIT's optimised code is measured.
        const int Turns = 10_000;
        for (int i = 0; i < 1_000; i++)
        {
            _ = pair.Responder.NextTimeout;
            pair.Responder.HandleTimeout(pair.Now);
        }
        long loopStart = IkePair.ThreadCpuNanoseconds();
        for (int i = 0; i < Turns; i++)
        {
            _ = pair.Responder.NextTimeout;
            pair.Responder.HandleTimeout(pair.Now);
        }
        double loopTurnMicroseconds = (IkePair.ThreadCpuNanoseconds() - loopStart) / 1e3 / Turns;
        pair.DropInitiator(); // the last client's
        (long managed1, long rss1, long native1) = Memory();
        GC.KeepAlive(pair);

        Console.WriteLine($"# {DateTime.UtcNow:yyyy-MM-ddTHH:mm:ssZ} {Environment.ProcessorCount} cores, .NET {Environment.Version}, group {group}, {count} IKE+CHILD SA pairs");
        Console.WriteLine("| figure | value |");
        Console.WriteLine("|---|---|");
        Console.WriteLine($"| time to establish {count} (both engines on one thread) | {seconds:F2} s ({count / seconds:F0} setups/s), process CPU {cpuSeconds:F2} s |");
        Console.WriteLine($"| responder CPU per setup, all | {pair.ResponderCpuNanoseconds / 1e3 / count:F0} µs |");
        Console.WriteLine($"| responder CPU per setup, first tenth | {firstCpu / 1e3 / tenth:F0} µs |");
        Console.WriteLine($"| responder CPU per setup, last nine tenths | {(pair.ResponderCpuNanoseconds - firstCpu) / 1e3 / (count - tenth):F0} µs |");
        Console.WriteLine($"| responder allocated per setup | {pair.ResponderAllocated / count:N0} B (first tenth {firstAllocated / tenth:N0} B) |");
        Console.WriteLine($"| responder NextTimeout + HandleTimeout (one daemon loop turn, nothing due) | {loopTurnMicroseconds:F2} µs |");
        Console.WriteLine($"| managed memory per IKE+CHILD SA pair (GC.GetTotalMemory after a full collection) | {(managed1 - managed0) / (double)count / 1024:F2} KiB |");
        Console.WriteLine($"| native memory per pair (malloc in use: OpenSSL contexts) | {(native1 - native0) / (double)count / 1024:F2} KiB |");
        Console.WriteLine($"| resident memory per pair (process RSS delta) | {(rss1 - rss0) / (double)count / 1024:F2} KiB |");
        return 0;
    }

    private static (long Managed, long Rss, long Native) Memory()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        long managed = GC.GetTotalMemory(forceFullCollection: true);
        using var self = Process.GetCurrentProcess();
        return (managed, self.WorkingSet64, (long)MallInfo2().InUse);
    }

    /// <summary>glibc's <c>struct mallinfo2</c>; <c>uordblks</c> is the bytes malloc has handed out and not had back (OpenSSL's contexts and keys).</summary>
    [System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Sequential)]
    private struct MallInfo
    {
        public nuint Arena, OrdBlks, SmBlks, HBlks, HBlkHd, UsmBlks, FsmBlks, InUse, FreeBytes, KeepCost;
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "mallinfo2")]
    private static extern MallInfo MallInfo2();
}

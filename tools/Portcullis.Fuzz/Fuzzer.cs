using System.Diagnostics;
using System.Security.Cryptography;

namespace Portcullis.Fuzz;

/// <summary>How long and where one fuzz run goes.</summary>
public sealed record FuzzOptions
{
    /// <summary>Wall-clock budget (the CI run); null with <see cref="MaxExecs"/> for a fixed count.</summary>
    public TimeSpan? Duration { get; init; }

    /// <summary>Executions to run (the long run); null for <see cref="Duration"/> only.</summary>
    public long? MaxExecs { get; init; }

    /// <summary>Seed of the mutation RNG, so a run can be repeated.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Folder with one sub-folder of seed inputs per target (tests/fuzz/corpus).</summary>
    public string? CorpusDirectory { get; init; }

    /// <summary>Where crashing and hanging inputs go, one sub-folder per target (tests/fuzz/crashes).</summary>
    public string? CrashDirectory { get; init; }

    /// <summary>An input running longer than this is a hang: it is saved and the process exits with status 2.</summary>
    public TimeSpan HangTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Write inputs that showed new features into the corpus folder (to grow the kept corpus).</summary>
    public bool SaveNewInputs { get; init; }
}

/// <summary>The outcome of fuzzing one target.</summary>
public sealed record FuzzReport(string Target, long Executions, int CorpusSize, int Features, int Crashes, TimeSpan Elapsed, TimeSpan SlowestInput)
{
    /// <inheritdoc />
    public override string ToString() =>
        $"{Target}: {Executions} execs in {Elapsed.TotalSeconds:F0} s ({Executions / Math.Max(Elapsed.TotalSeconds, 0.001):F0}/s), corpus {CorpusSize}, features {Features}, crashes {Crashes}, slowest input {SlowestInput.TotalMilliseconds:F0} ms";
}

/// <summary>
/// The mutation loop: seeds from the corpus folder, mutations of inputs that showed new behaviour, crashes (an
/// exception past the target's boundary, a violated property, too much memory for one input) saved for regression
/// tests, and a watchdog for hangs.
/// </summary>
public static class Fuzzer
{
    /// <summary>Most inputs kept in memory per target.</summary>
    public const int MaxCorpus = 20_000;

    private static long s_runningSince; // Stopwatch timestamp of the input being run, 0 when idle
    private static byte[]? s_current;
    private static string? s_currentTarget;
    private static string? s_hangDirectory;
    private static TimeSpan s_hangTimeout;
    private static Thread? s_watchdog;

    /// <summary>Seed inputs of a target: every file in its corpus folder, in name order.</summary>
    public static List<byte[]> LoadCorpus(string? directory, string target)
    {
        var inputs = new List<byte[]>();
        if (directory is null) return inputs;
        string dir = Path.Combine(directory, target);
        if (!Directory.Exists(dir)) return inputs;
        foreach (string f in Directory.GetFiles(dir).Order(StringComparer.Ordinal)) inputs.Add(File.ReadAllBytes(f));
        return inputs;
    }

    /// <summary>Runs one input; returns the failure (exception or violated property), or null.</summary>
    public static Exception? RunOne(IFuzzTarget target, FuzzTargetInfo info, byte[] input, FuzzContext context)
    {
        context.Reset();
        long before = GC.GetAllocatedBytesForCurrentThread();
        try
        {
            target.Run(input, context);
        }
        catch (Exception e)
        {
            return e;
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        if (allocated > info.MaxAllocatedBytes)
            return new PropertyViolationException($"one input of {input.Length} bytes allocated {allocated} bytes (bound {info.MaxAllocatedBytes})");
        return null;
    }

    /// <summary>Fuzzes one target within the options' budget.</summary>
    public static FuzzReport Run(FuzzTargetInfo info, FuzzOptions options, TextWriter log)
    {
        StartWatchdog(options);
        var rng = new Random(options.Seed);
        var mutator = new Mutator(rng);
        var context = new FuzzContext();
        List<byte[]> seeds = LoadCorpus(options.CorpusDirectory, info.Name);
        IFuzzTarget CreateTarget()
        {
            IFuzzTarget t = info.Create();
            if (t is Targets.ISeedAware aware) foreach (byte[] s in seeds) aware.AddSeed(s);
            return t;
        }
        IFuzzTarget target = CreateTarget();
        var seen = new HashSet<string>();
        var corpus = new List<byte[]>();
        var crashSignatures = new HashSet<string>();
        int crashes = 0;
        long execs = 0;
        TimeSpan slowest = TimeSpan.Zero;
        var clock = Stopwatch.StartNew();
        TimeSpan nextReport = TimeSpan.FromSeconds(30);

        bool Execute(byte[] input)
        {
            Volatile.Write(ref s_current, input);
            s_currentTarget = info.Name;
            long start = Stopwatch.GetTimestamp();
            Volatile.Write(ref s_runningSince, start);
            Exception? failure = RunOne(target, info, input, context);
            Volatile.Write(ref s_runningSince, 0);
            TimeSpan took = Stopwatch.GetElapsedTime(start);
            if (took > slowest) slowest = took;
            execs++;
            if (failure is not null)
            {
                string signature = Signature(failure);
                if (crashSignatures.Add(signature))
                {
                    crashes++;
                    string? file = Save(options.CrashDirectory, info.Name, "crash", input, failure.ToString());
                    log.WriteLine($"CRASH {info.Name}: {failure.GetType().Name}: {FirstLine(failure.Message)}{(file is null ? "" : $" -> {file}")}");
                }
                target = CreateTarget(); // the old instance may be in any state
                return false;
            }
            bool fresh = false;
            foreach (string f in context.Features) fresh |= seen.Add(f);
            return fresh;
        }

        foreach (byte[] seed in seeds)
        {
            Execute(seed);
            corpus.Add(seed);
        }
        // Earlier crashes are replayed first: a regression shows up as a crash again.
        foreach (byte[] old in LoadCorpus(options.CrashDirectory, info.Name)) Execute(old);
        if (corpus.Count == 0) corpus.Add([]);

        while (true)
        {
            if (options.MaxExecs is { } max && execs >= max) break;
            if (options.Duration is { } d && clock.Elapsed >= d) break;
            byte[] parent = rng.Next(2) == 0 ? corpus[corpus.Count - 1 - rng.Next(Math.Max(1, corpus.Count / 4))] : corpus[rng.Next(corpus.Count)];
            byte[] input = mutator.Mutate(parent, corpus[rng.Next(corpus.Count)]);
            if (Execute(input))
            {
                // Bounded: past MaxCorpus a new input takes the place of a random older one.
                if (corpus.Count < MaxCorpus) corpus.Add(input);
                else corpus[rng.Next(corpus.Count)] = input;
                if (options.SaveNewInputs) Save(options.CorpusDirectory, info.Name, "new", input, null);
            }
            if (clock.Elapsed >= nextReport)
            {
                nextReport += TimeSpan.FromSeconds(30);
                log.WriteLine($"  {info.Name}: {execs} execs, {execs / clock.Elapsed.TotalSeconds:F0}/s, corpus {corpus.Count}, features {seen.Count}, crashes {crashes}");
            }
        }
        return new FuzzReport(info.Name, execs, corpus.Count, seen.Count, crashes, clock.Elapsed, slowest);
    }

    private static string FirstLine(string s) => s.Split('\n')[0];

    /// <summary>Exception type, message shape and the first frame: one file per distinct failure.</summary>
    private static string Signature(Exception e)
    {
        string frame = e.StackTrace?.Split('\n').FirstOrDefault(l => l.Contains("Portcullis", StringComparison.Ordinal))?.Trim() ?? "";
        return $"{e.GetType().FullName}|{FuzzContext.Normalize(FirstLine(e.Message))}|{frame}";
    }

    private static string? Save(string? directory, string target, string kind, byte[] input, string? text)
    {
        if (directory is null) return null;
        string dir = Path.Combine(directory, target);
        Directory.CreateDirectory(dir);
        string name = $"{kind}-{Convert.ToHexStringLower(SHA256.HashData(input))[..16]}";
        string path = Path.Combine(dir, name + ".bin");
        File.WriteAllBytes(path, input);
        if (text is not null) File.WriteAllText(Path.Combine(dir, name + ".txt"), text + "\n");
        return path;
    }

    private static void StartWatchdog(FuzzOptions options)
    {
        s_hangDirectory = options.CrashDirectory;
        s_hangTimeout = options.HangTimeout;
        if (s_watchdog is not null) return;
        s_watchdog = new Thread(() =>
        {
            while (true)
            {
                Thread.Sleep(250);
                long since = Volatile.Read(ref s_runningSince);
                if (since == 0 || Stopwatch.GetElapsedTime(since) < s_hangTimeout) continue;
                byte[] input = Volatile.Read(ref s_current) ?? [];
                string target = s_currentTarget ?? "unknown";
                string? file = Save(s_hangDirectory, target, "hang", input, $"ran longer than {s_hangTimeout.TotalSeconds} s");
                Console.Out.WriteLine($"HANG {target}: one input ran longer than {s_hangTimeout.TotalSeconds} s{(file is null ? "" : $" -> {file}")}");
                Console.Out.Flush();
                Environment.Exit(2);
            }
        }) { IsBackground = true, Name = "fuzz watchdog" };
        s_watchdog.Start();
    }
}

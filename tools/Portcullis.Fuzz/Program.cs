using Portcullis.Fuzz;

// portcullis-fuzz: list | run [--target NAME|all] [--seconds N | --execs N] [--seed N] [--corpus DIR] [--crashes DIR]
//                         [--hang-seconds N] [--save-new] | replay --target NAME FILE... | seed [--corpus DIR]
// Exit status: 0 clean, 1 crashes found, 2 a hang (the input is saved), 64 usage.
static string? Arg(string[] a, string name) { int i = Array.IndexOf(a, name); return i >= 0 && i + 1 < a.Length ? a[i + 1] : null; }

string repo = FindRepo();
string command = args.Length > 0 ? args[0] : "help";
string corpusDir = Arg(args, "--corpus") ?? Path.Combine(repo, "tests", "fuzz", "corpus");
string crashDir = Arg(args, "--crashes") ?? Path.Combine(repo, "tests", "fuzz", "crashes");

switch (command)
{
    case "list":
        foreach (FuzzTargetInfo t in TargetRegistry.All) Console.WriteLine($"{t.Name,-22} {t.Description}");
        return 0;
    case "seed":
        Seeds.WriteAll(corpusDir, Console.Out);
        return 0;
    case "replay":
        {
            FuzzTargetInfo info = TargetRegistry.Get(Arg(args, "--target") ?? "");
            int failed = 0;
            foreach (string file in args.Skip(1).Where(a => !a.StartsWith("--", StringComparison.Ordinal) && a != info.Name))
            {
                var context = new FuzzContext();
                IFuzzTarget target = info.Create();
                // As in a run: the corpus tells the ESP targets which packets are genuine (CBC seeds have random IVs).
                if (target is Portcullis.Fuzz.Targets.ISeedAware aware) foreach (byte[] seed in Fuzzer.LoadCorpus(corpusDir, info.Name)) aware.AddSeed(seed);
                Exception? e = Fuzzer.RunOne(target, info, File.ReadAllBytes(file), context);
                Console.WriteLine(e is null ? $"ok    {file}" : $"FAIL  {file}\n{e}");
                if (args.Contains("--features")) foreach (string f in context.Features) Console.WriteLine($"      {f}");
                if (e is not null) failed++;
            }
            return failed == 0 ? 0 : 1;
        }
    case "run":
        {
            string which = Arg(args, "--target") ?? "all";
            FuzzTargetInfo[] targets = which == "all" ? [.. TargetRegistry.All] : [.. which.Split(',').Select(TargetRegistry.Get)];
            double? seconds = Arg(args, "--seconds") is { } s ? double.Parse(s, System.Globalization.CultureInfo.InvariantCulture) : null;
            long? execs = Arg(args, "--execs") is { } e ? long.Parse(e, System.Globalization.CultureInfo.InvariantCulture) : null;
            if (seconds is null && execs is null) seconds = 60;
            var options = new FuzzOptions
            {
                Duration = seconds is { } sec ? TimeSpan.FromSeconds(sec / targets.Length) : null,
                MaxExecs = execs is { } n ? Math.Max(1, (n + targets.Length - 1) / targets.Length) : null, // at least N in all
                Seed = int.Parse(Arg(args, "--seed") ?? "1", System.Globalization.CultureInfo.InvariantCulture),
                CorpusDirectory = corpusDir,
                CrashDirectory = crashDir,
                HangTimeout = TimeSpan.FromSeconds(double.Parse(Arg(args, "--hang-seconds") ?? "10", System.Globalization.CultureInfo.InvariantCulture)),
                SaveNewInputs = args.Contains("--save-new"),
            };
            Console.WriteLine($"fuzzing {targets.Length} targets, {(seconds is null ? $"{execs} executions" : $"{seconds} s")} in all, seed {options.Seed}");
            long total = 0;
            int crashes = 0;
            foreach (FuzzTargetInfo t in targets)
            {
                FuzzReport r = Fuzzer.Run(t, options, Console.Out);
                Console.WriteLine(r);
                total += r.Executions;
                crashes += r.Crashes;
            }
            Console.WriteLine($"fuzz: {total} executions, {crashes} crashes, 0 hangs");
            return crashes == 0 ? 0 : 1;
        }
    default:
        Console.Error.WriteLine("usage: Portcullis.Fuzz list | run [--target NAME[,NAME]|all] [--seconds N | --execs N] [--seed N] [--corpus DIR] [--crashes DIR] [--hang-seconds N] [--save-new] | replay --target NAME FILE... | seed [--corpus DIR]");
        return 64;
}

static string FindRepo()
{
    for (string? d = AppContext.BaseDirectory; d is not null; d = Path.GetDirectoryName(d))
        if (File.Exists(Path.Combine(d, "Portcullis.slnx"))) return d;
    return Directory.GetCurrentDirectory();
}

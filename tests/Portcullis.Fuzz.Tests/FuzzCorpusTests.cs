using System.Diagnostics;
using Portcullis.Fuzz;

namespace Portcullis.Fuzz.Tests;

/// <summary>
/// The fuzzer in CI: every kept input (the seed corpus and the inputs that once crashed, kept as regression-*.bin
/// in the corpus) replays cleanly through its target, and a short fuzz run of every target ends with no crash and
/// no hang. The long run is by hand (README, "Hostile input / fuzzing").
/// </summary>
public class FuzzCorpusTests
{
    private static string Repo()
    {
        for (string? d = AppContext.BaseDirectory; d is not null; d = Path.GetDirectoryName(d))
            if (File.Exists(Path.Combine(d, "Portcullis.slnx"))) return d;
        throw new InvalidOperationException("repository root not found");
    }

    private static string Corpus => Path.Combine(Repo(), "tests", "fuzz", "corpus");

    public static TheoryData<string> TargetNames => [.. TargetRegistry.All.Select(t => t.Name)];

    [Theory]
    [MemberData(nameof(TargetNames))]
    public void Every_kept_input_replays_without_a_failure(string name)
    {
        FuzzTargetInfo info = TargetRegistry.Get(name);
        string[] files = Directory.Exists(Path.Combine(Corpus, name)) ? Directory.GetFiles(Path.Combine(Corpus, name)).Order(StringComparer.Ordinal).ToArray() : [];
        Assert.True(files.Length > 0, $"no seed corpus for {name} in tests/fuzz/corpus/{name}");
        IFuzzTarget target = info.Create();
        if (target is Portcullis.Fuzz.Targets.ISeedAware aware) foreach (string f in files) aware.AddSeed(File.ReadAllBytes(f));
        var context = new FuzzContext();
        var failures = new List<string>();
        foreach (string file in files)
        {
            Exception? e = Fuzzer.RunOne(target, info, File.ReadAllBytes(file), context);
            if (e is not null) failures.Add($"{Path.GetFileName(file)}: {e}");
        }
        Assert.True(failures.Count == 0, string.Join("\n\n", failures));
    }

    [Fact]
    public void Mutations_are_reproducible_from_the_seed()
    {
        byte[] input = [.. Enumerable.Range(0, 64).Select(i => (byte)i)];
        byte[] a = new Mutator(new Random(5)).Mutate(input, input), b = new Mutator(new Random(5)).Mutate(input, input);
        Assert.Equal(a, b);
    }

    /// <summary>
    /// The CI fuzz run: every target for its share of PORTCULLIS_FUZZ_SECONDS (default 120 s in all), in a child
    /// process so that a hang (an input running over 10 s) ends the process and is reported with the input saved. The
    /// child runs below normal priority: the interop tests running beside it in CI are timing-sensitive.
    /// </summary>
    [Fact]
    public async Task Short_fuzz_run_of_every_target_finds_no_crash_and_no_hang()
    {
        string seconds = Environment.GetEnvironmentVariable("PORTCULLIS_FUZZ_SECONDS") ?? "120";
        string crashes = Path.Combine(Path.GetTempPath(), $"pc-fuzz-{Guid.NewGuid():N}");
        string dll = Path.Combine(AppContext.BaseDirectory, "Portcullis.Fuzz.dll");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in new[] { dll, "run", "--target", "all", "--seconds", seconds, "--seed", DateTime.UtcNow.DayOfYear.ToString(),
                     "--corpus", Corpus, "--crashes", crashes })
            psi.ArgumentList.Add(a);
        using Process process = Process.Start(psi)!;
        try { process.PriorityClass = ProcessPriorityClass.BelowNormal; }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception) { } // it ended already
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        string output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        string errors = await stderr;
        string saved = Directory.Exists(crashes)
            ? string.Join("\n", Directory.GetFiles(crashes, "*.txt", SearchOption.AllDirectories).Select(f => $"{f}:\n{File.ReadAllText(f)}"))
            : "";
        Assert.True(process.ExitCode == 0, $"fuzz run failed (exit {process.ExitCode}):\n{output}\n{errors}\n{saved}");
        Assert.Contains(" 0 crashes, 0 hangs", output);
        Assert.Matches(@"fuzz: [1-9][0-9]* executions", output);
    }
}

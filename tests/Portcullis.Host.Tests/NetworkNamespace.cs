using System.Collections.Concurrent;
using Portcullis.Host.Native;
using Portcullis.Host.Tun;

namespace Portcullis.Host.Tests;

/// <summary>
/// A fresh network namespace (<c>ip netns add</c>) and a dedicated thread that has entered it with setns(2):
/// whatever runs through <see cref="Run{T}"/> (TUN devices, sockets, /proc/sys writes, and processes started from that
/// thread, which inherit its namespace) happens inside it. Dispose ends the thread and deletes the namespace.
/// </summary>
public sealed class NetworkNamespace : IDisposable
{
    private static int s_counter;
    private readonly BlockingCollection<Action> _work = new();
    private readonly Thread _thread;

    public NetworkNamespace()
    {
        Name = $"pct{Environment.ProcessId}n{Interlocked.Increment(ref s_counter)}";
        var added = IpCommand.Run(["netns", "add", Name]);
        if (!added.Ok) throw new InvalidOperationException($"ip netns add {Name}: {added}");
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _thread = new Thread(() =>
        {
            int fd = Libc.Open($"/run/netns/{Name}", Libc.O_CLOEXEC);
            if (fd < 0) { entered.SetException(Libc.Error($"open /run/netns/{Name}")); return; }
            int r = Libc.SetNs(fd, Libc.CLONE_NEWNET);
            var error = r < 0 ? Libc.Error("setns") : null;
            Libc.Close(fd);
            if (error is not null) { entered.SetException(error); return; }
            entered.SetResult();
            foreach (var item in _work.GetConsumingEnumerable()) item();
        })
        { IsBackground = true, Name = $"netns {Name}" };
        _thread.Start();
        try
        {
            entered.Task.GetAwaiter().GetResult();
        }
        catch
        {
            IpCommand.Run(["netns", "del", Name]);
            throw;
        }
    }

    public string Name { get; }

    /// <summary>Runs <paramref name="action"/> on the thread inside the namespace and returns its result.</summary>
    public T Run<T>(Func<T> action)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        _work.Add(() =>
        {
            try { done.SetResult(action()); }
            catch (Exception e) { done.SetException(e); }
        });
        return done.Task.GetAwaiter().GetResult();
    }

    public void Run(Action action) => Run(() => { action(); return 0; });

    /// <summary><c>ip -n NAME …</c>, asserting success.</summary>
    public void Ip(params string[] arguments)
    {
        var result = IpCommand.Run(["-n", Name, .. arguments]);
        Assert.True(result.Ok, result.ToString());
    }

    public void Dispose()
    {
        _work.CompleteAdding();
        _thread.Join();
        IpCommand.Run(["netns", "del", Name]);
        _work.Dispose();
    }
}

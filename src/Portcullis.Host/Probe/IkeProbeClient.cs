using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Portcullis.Core.Probe;

namespace Portcullis.Host.Probe;

/// <summary>
/// The thin UDP side of <c>portcullis probe</c>: one connected socket per probe (so the kernel hands an ICMP port
/// unreachable back as ECONNREFUSED: "closed" at once), retransmissions on a fixed interval, and a pace shared by all
/// probes of one run so that several hosts and retries never exceed the rate asked for.
/// </summary>
public sealed class IkeProbeClient(TimeSpan perTry, int tries, double ratePerSecond)
{
    private readonly TimeSpan _interval = TimeSpan.FromSeconds(1 / Math.Max(ratePerSecond, 0.01));
    private long _nextSend = Stopwatch.GetTimestamp();

    /// <summary>Probes one responder; <paramref name="proposals"/> null offers the default broad list.</summary>
    public async Task<ProbeResult> ProbeAsync(IPEndPoint target, bool ikev1, string? proposals, CancellationToken cancel)
    {
        using var socket = new Socket(target.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(target.AddressFamily == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any, 0));
        await socket.ConnectAsync(target, cancel);
        var local = (IPEndPoint)socket.LocalEndPoint!;
        var probe = new IkeProbe(new ProbeOptions { Target = target, Local = local, Ikev1 = ikev1, Proposals = proposals }, RandomNumberGenerator.GetBytes);
        byte[] send = probe.Start();
        var buffer = new byte[65536];
        int attempt = 0;
        while (true)
        {
            await PaceAsync(cancel);
            try
            {
                await socket.SendAsync(send, cancel);
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused)
            {
                return probe.Closed();
            }
            attempt++;
            using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancel);
            timer.CancelAfter(perTry);
            byte[]? next = null;
            try
            {
                while (next is null)
                {
                    int n = await socket.ReceiveAsync(buffer, timer.Token);
                    ProbeStep step = probe.Handle(buffer.AsSpan(0, n));
                    if (step.Result is { } result) return result;
                    next = step.Send;
                }
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused)
            {
                return probe.Closed();
            }
            catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
            {
                if (attempt >= tries) return probe.NoAnswer();
                next = probe.Retransmit();
            }
            if (next is not null && next != send) attempt = 0; // a COOKIE or group retry starts its own tries
            send = next!;
        }
    }

    // At most one datagram per interval over the whole run.
    private async Task PaceAsync(CancellationToken cancel)
    {
        long now = Stopwatch.GetTimestamp();
        long at = Interlocked.Read(ref _nextSend);
        if (at > now) await Task.Delay(Stopwatch.GetElapsedTime(now, at), cancel);
        Interlocked.Exchange(ref _nextSend, Math.Max(at, now) + (long)(_interval.TotalSeconds * Stopwatch.Frequency));
    }
}

using System.Globalization;
using System.Net;
using Portcullis.Core.Config;
using Portcullis.Core.Probe;
using Portcullis.Host.Probe;

namespace Portcullis.Cli;

/// <summary>
/// <c>portcullis probe HOST… [--port 500|4500] [--ikev1] [--proposal STR] [--timeout SECONDS] [--tries N] [--rate N]</c>:
/// what an IKE responder answers to a first message, like ike-scan. Exit status 0 when every host answered (with a
/// proposal or a notify), 1 otherwise.
/// </summary>
public static class ProbeCommand
{
    /// <summary>Runs the command; returns the exit status.</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var hosts = new List<string>();
        int port = 500, tries = 3;
        double timeout = 3, rate = 10;
        bool ikev1 = false;
        string? proposals = null;
        for (int i = 0; i < args.Length; i++)
        {
            string? Next() => i + 1 < args.Length ? args[++i] : null;
            switch (args[i])
            {
                case "--port":
                    if (!int.TryParse(Next(), out port) || port is < 1 or > 65535) return Usage(stderr, "--port takes a UDP port (500 or 4500)");
                    break;
                case "--ikev1": ikev1 = true; break;
                case "--proposal": proposals = Next(); break;
                case "--timeout":
                    if (!double.TryParse(Next(), NumberStyles.Float, CultureInfo.InvariantCulture, out timeout) || timeout <= 0) return Usage(stderr, "--timeout takes seconds per try");
                    break;
                case "--tries":
                    if (!int.TryParse(Next(), out tries) || tries < 1) return Usage(stderr, "--tries takes a positive number");
                    break;
                case "--rate":
                    if (!double.TryParse(Next(), NumberStyles.Float, CultureInfo.InvariantCulture, out rate) || rate <= 0) return Usage(stderr, "--rate takes datagrams per second");
                    break;
                default:
                    if (args[i].StartsWith('-')) return Usage(stderr, $"unknown option '{args[i]}'");
                    hosts.Add(args[i]);
                    break;
            }
        }
        if (hosts.Count == 0) return Usage(stderr, "name at least one HOST");
        if (proposals is not null && ProposalParser.Parse(proposals, ProposalKind.Ike).Errors is { Count: > 0 } errors)
            return Usage(stderr, $"--proposal: {string.Join("; ", errors)}");

        var client = new IkeProbeClient(TimeSpan.FromSeconds(timeout), tries, rate);
        bool allAnswered = true;
        foreach (string host in hosts)
        {
            IPAddress? address = IPAddress.TryParse(host, out IPAddress? literal) ? literal : Resolve(host, stderr);
            if (address is null) { allAnswered = false; continue; }
            ProbeResult result = client.ProbeAsync(new IPEndPoint(address, port), ikev1, proposals, CancellationToken.None).GetAwaiter().GetResult();
            stdout.Write(result.Describe());
            allAnswered &= result.Outcome is ProbeOutcome.ProposalChosen or ProbeOutcome.Notify;
        }
        return allAnswered ? 0 : 1;
    }

    private static IPAddress? Resolve(string host, TextWriter stderr)
    {
        try
        {
            return Dns.GetHostAddresses(host).FirstOrDefault();
        }
        catch (System.Net.Sockets.SocketException e)
        {
            stderr.WriteLine($"portcullis probe: {host}: {e.Message}");
            return null;
        }
    }

    private static int Usage(TextWriter stderr, string message)
    {
        stderr.WriteLine($"portcullis probe: {message}");
        return CommandLine.UsageError;
    }
}

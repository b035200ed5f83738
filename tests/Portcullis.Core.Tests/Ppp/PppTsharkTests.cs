using System.Diagnostics;
using System.Text;
using Portcullis.Core.Ppp;

namespace Portcullis.Core.Tests.Ppp;

/// <summary>A fact that needs tshark and text2pcap; skipped, saying so, when either is not on PATH.</summary>
public sealed class TsharkFactAttribute : FactAttribute
{
    public TsharkFactAttribute()
    {
        if (Tshark.Path is null || Tshark.Text2Pcap is null)
            Skip = "tshark and text2pcap (Wireshark) are not on PATH: the independent decode of the PPP frames cannot run";
    }
}

internal static class Tshark
{
    public static readonly string? Path = Find("tshark");
    public static readonly string? Text2Pcap = Find("text2pcap");

    private static string? Find(string name) => (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':')
        .Where(d => d.Length > 0).Select(d => System.IO.Path.Combine(d, name)).FirstOrDefault(File.Exists);

    public static (int Exit, string Output) Run(string program, params string[] args)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in args) start.ArgumentList.Add(a);
        using Process p = Process.Start(start)!;
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, output + stderr.Result);
    }
}

/// <summary>
/// An independent check of the wire: the frames a server/client pair exchanged (every authentication method, a
/// failure, IPCP, IP, echo, Protocol-Reject, Terminate) go into a pcap as PPP in HDLC-like framing (link type 9,
/// FF 03 kept, no FCS, as in L2TP) and Wireshark's dissectors must decode every one without a malformed packet or
/// an expert warning.
/// </summary>
public sealed class PppTsharkTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("portcullis-ppp-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static List<byte[]> Exchange(PppAuthenticationProtocol method, bool wrongPassword = false)
    {
        using var pair = new PppPair(server: o => o with { AuthenticationProtocols = [method], EchoInterval = TimeSpan.FromSeconds(10) },
            client: o => wrongPassword ? PppPair.WithPassword(o, "wrong") : o);
        pair.Establish();
        if (!wrongPassword)
        {
            Assert.True(pair.BothUp, pair.ToString());
            byte[] ping = Convert.FromHexString("4500001c00010000400189b5c6126505c61200010800f7fe00010000");
            pair.SendIp(PppSide.Client, ping);
            pair.Deliver(pair.Server, Convert.FromHexString("ff0380570101000e010a1122334455667788"), pair.ServerReceivedIp);
            pair.Drive(TimeSpan.FromSeconds(11));
            pair.Client.Close(pair.Now, "user hung up");
        }
        pair.Drive(TimeSpan.FromSeconds(30), () => pair.BothFinished);
        return pair.Wire.Select(f => f.Data).ToList();
    }

    [TsharkFact]
    public void WiresharkDecodesEveryFrameCleanly()
    {
        var frames = new List<byte[]>();
        frames.AddRange(Exchange(PppAuthenticationProtocol.MsChapV2));
        frames.AddRange(Exchange(PppAuthenticationProtocol.ChapMd5));
        frames.AddRange(Exchange(PppAuthenticationProtocol.Pap));
        frames.AddRange(Exchange(PppAuthenticationProtocol.MsChapV2, wrongPassword: true));

        var text = new StringBuilder();
        foreach (byte[] frame in frames)
        {
            for (int offset = 0; offset < frame.Length; offset += 16)
            {
                text.Append(offset.ToString("x6", System.Globalization.CultureInfo.InvariantCulture));
                foreach (byte b in frame.AsSpan(offset, Math.Min(16, frame.Length - offset))) text.Append(' ').Append(b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
                text.Append('\n');
            }
            text.Append('\n');
        }
        string dump = Path.Combine(_directory, "ppp.txt");
        string pcap = Path.Combine(_directory, "ppp.pcap");
        File.WriteAllText(dump, text.ToString());
        (int exit, string output) = Tshark.Run(Tshark.Text2Pcap!, "-q", "-l", "9", dump, pcap);
        Assert.True(exit == 0, $"text2pcap: {output}");

        (exit, output) = Tshark.Run(Tshark.Path!, "-r", pcap, "-V", "-o", "ip.check_checksum:TRUE");
        Assert.True(exit == 0, $"tshark: {output}");
        Assert.Equal(frames.Count, CountOccurrences(output, "Point-to-Point Protocol\n"));
        Assert.DoesNotContain("Malformed", output);
        Assert.DoesNotContain("Expert Info (Error", output);
        Assert.DoesNotContain("Expert Info (Warn", output);
        foreach (string decoded in new[]
        {
            "PPP Link Control Protocol", "Maximum Receive Unit: 1400", "Authentication Protocol: Challenge Handshake Authentication Protocol (0xc223)",
            "Algorithm: MS-CHAP-2", "Algorithm: CHAP with MD5", "Authentication Protocol: Password Authentication Protocol (0xc023)",
            "PPP Challenge Handshake Authentication Protocol", "Code: Challenge (1)", "Code: Response (2)", "Code: Success (3)", "Code: Failure (4)",
            "PPP Password Authentication Protocol", "Code: Authenticate-Request (1)", "Code: Authenticate-Ack (2)",
            "PPP IP Control Protocol", "IP Address: 198.18.101.5", "Primary DNS Address: 198.18.0.53", "Secondary DNS Address: 198.18.0.54",
            "Code: Configuration Nak (3)", "Code: Echo Request (9)", "Code: Echo Reply (10)", "Code: Protocol Reject (8)",
            "Rejected Protocol: IPv6 Control Protocol (0x8057)", "Code: Termination Request (5)", "Code: Termination Ack (6)",
            "Internet Protocol Version 4, Src: 198.18.101.5, Dst: 198.18.0.1", "Message: E=691 R=0 C=", "Message: S=", "Message: Welcome to Portcullis",
        })
        {
            Assert.True(output.Contains(decoded, StringComparison.Ordinal), $"tshark never decoded '{decoded}':\n{output}");
        }
    }

    private static int CountOccurrences(string text, string what)
    {
        int count = 0;
        for (int at = text.IndexOf(what, StringComparison.Ordinal); at >= 0; at = text.IndexOf(what, at + what.Length, StringComparison.Ordinal)) count++;
        return count;
    }
}

using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Portcullis.IkeFlood;

// Floods an IKE responder with IKE_SA_INIT requests from spoofed source addresses, to test its DoS protection
// (RFC 7296 §2.6). Only for test networks you own: namespaces, documentation addresses.
const string Usage = """
    usage: Portcullis.IkeFlood --target IP [--count N] [--rate PPS] [--source-prefix CIDR] [--port PORT]
                               [--source-port PORT] [--proposal IKE_PROPOSAL] [--random-ke]
      --target IP             the responder (IPv4)
      --count N               requests to send (default 1000)
      --rate PPS              requests per second, 0 for as fast as possible (default 1000)
      --source-prefix CIDR    spoofed source addresses, taken in turn (default 203.0.113.0/24)
      --port PORT             the responder's IKE port (default 500)
      --source-port PORT      the spoofed UDP source port (default 500)
      --proposal P            IKE proposal in strongSwan's notation (default aes128gcm16-prfsha256-ecp256)
      --random-ke             random KE data of the right length instead of a genuine public value
    Needs root (raw socket). Prints how many requests it sent.
    """;

IPAddress? target = null;
int count = 1000, port = 500, sourcePort = 500;
double rate = 1000;
string prefix = "203.0.113.0/24", proposal = "aes128gcm16-prfsha256-ecp256";
bool randomKe = false;
for (int i = 0; i < args.Length; i++)
{
    string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
    try
    {
        switch (args[i])
        {
            case "--target": target = IPAddress.Parse(Value()); break;
            case "--count": count = int.Parse(Value()); break;
            case "--rate": rate = double.Parse(Value()); break;
            case "--source-prefix": prefix = Value(); break;
            case "--port": port = int.Parse(Value()); break;
            case "--source-port": sourcePort = int.Parse(Value()); break;
            case "--proposal": proposal = Value(); break;
            case "--random-ke": randomKe = true; break;
            case "-h" or "--help": Console.WriteLine(Usage); return 0;
            default: throw new ArgumentException($"unknown option {args[i]}");
        }
    }
    catch (Exception e) when (e is FormatException or ArgumentException or OverflowException)
    {
        Console.Error.WriteLine($"IkeFlood: {e.Message}\n{Usage}");
        return 2;
    }
}
if (target is null || target.AddressFamily != AddressFamily.InterNetwork || count < 0 || rate < 0)
{
    Console.Error.WriteLine($"IkeFlood: --target must be an IPv4 address; --count and --rate not negative\n{Usage}");
    return 2;
}
if (!SourcePrefix.TryParse(prefix, out SourcePrefix? sources, out string? prefixError))
{
    Console.Error.WriteLine($"IkeFlood: --source-prefix {prefix}: {prefixError}");
    return 2;
}

var destination = new IPEndPoint(target, port);
InitRequestFactory factory;
try { factory = new InitRequestFactory(proposal, destination, randomKe); }
catch (ArgumentException e) { Console.Error.WriteLine($"IkeFlood: --proposal: {e.Message}"); return 2; }

// Built before sending, so the rate is not bounded by encoding.
var packets = new (IPEndPoint Source, byte[] Data)[count];
for (int n = 0; n < count; n++)
{
    var source = new IPEndPoint(sources!.Address(n), sourcePort);
    packets[n] = (source, factory.Create(source));
}

RawIpv4Sender sender;
try { sender = RawIpv4Sender.Open(); }
catch (System.ComponentModel.Win32Exception e) { Console.Error.WriteLine($"IkeFlood: {e.Message} (root needed)"); return 1; }
using (sender)
{
    int sent = 0, errors = 0;
    string? firstError = null;
    var clock = Stopwatch.StartNew();
    for (int n = 0; n < count; n++)
    {
        if (rate > 0)
        {
            // Paced against the start, so a slow moment is caught up rather than lowering the average rate. Sleeping
            // (not spinning) leaves the CPU to the daemon under test; above 1000/s packets go out in small bursts.
            double due = n / rate;
            while (clock.Elapsed.TotalSeconds < due) Thread.Sleep(1);
        }
        try
        {
            sender.Send(packets[n].Source, destination, packets[n].Data);
            sent++;
        }
        catch (SocketException e)
        {
            errors++;
            firstError ??= e.Message;
        }
    }
    double seconds = clock.Elapsed.TotalSeconds;
    Console.WriteLine($"sent {sent} IKE_SA_INIT requests to {destination} from {Math.Min(count, sources!.Count)} addresses of {prefix} in {seconds:0.00} s ({(seconds > 0 ? sent / seconds : 0):0} per second); {errors} send errors{(firstError is null ? "" : $" (first: {firstError})")}");
    return errors == 0 ? 0 : 1;
}

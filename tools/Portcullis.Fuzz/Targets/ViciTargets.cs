using Portcullis.Core.Config;
using Portcullis.Core.Vici;
using Portcullis.Host.Control;

namespace Portcullis.Fuzz.Targets;

/// <summary>
/// <c>vici-packet</c>: a client's byte stream on the VICI socket, cut into segments as the session does (length
/// field, packet, message). Properties: a packet and a message that parse encode back to the very bytes they came
/// from (one encoding per tree: nothing is silently dropped or reordered).
/// </summary>
internal sealed class ViciPacketTarget : IFuzzTarget
{
    public void Run(byte[] input, FuzzContext context)
    {
        ReadOnlySpan<byte> rest = input;
        for (int n = 0; n < 64 && !rest.IsEmpty; n++)
        {
            if (!ViciPacket.TryReadSegmentLength(rest, out int length, out ViciParseError? error))
            {
                context.Feature($"length:{error!.Kind}:{error.Field}");
                return;
            }
            rest = rest[ViciPacket.LengthFieldSize..];
            if (rest.Length < length)
            {
                context.Feature("segment:truncated");
                return;
            }
            ReadOnlySpan<byte> segment = rest[..length];
            rest = rest[length..];
            if (!ViciPacket.TryParse(segment, out ViciPacket? packet, out error))
            {
                context.Feature($"packet:{error!.Kind}:{error.Field}");
                return;
            }
            context.Feature($"packet:{packet!.Type}:{Known(packet.Name)}");
            if (!ViciPacket.IsNamed(packet.Type) || packet.Name.Length > 0)
            {
                byte[] again = packet.ToSegment();
                FuzzContext.Check(again.AsSpan(ViciPacket.LengthFieldSize).SequenceEqual(segment), "a parsed VICI packet does not encode back to its bytes");
            }
            if (!ViciMessage.TryParse(packet.Message, out ViciMessage? message, out error))
            {
                context.Feature($"message:{error!.Kind}:{FuzzContext.Shape(error.Field)}");
                continue;
            }
            Features(message!, context, 0);
            FuzzContext.Check(message!.EncodedLength == packet.Message.Length, "a parsed VICI message's EncodedLength differs from its length");
            FuzzContext.Check(message.Encode().AsSpan().SequenceEqual(packet.Message), "a parsed VICI message does not encode back to its bytes");
        }
    }

    private static readonly HashSet<string> s_names =
    [
        "version", "stats", "list-sas", "list-conns", "get-conns", "load-conn", "unload-conn", "load-pool", "unload-pool", "get-pools",
        "load-shared", "unload-shared", "get-shared", "clear-creds", "load-cert", "load-key", "unload-key", "get-keys", "get-authorities",
        "load-token", "load-authority", "initiate", "terminate", "list-sa", "list-conn", "log", "control-log", "ike-updown", "child-updown",
    ];

    /// <summary>A command or event name as a feature: the name when it is one the daemon knows, else only its shape (any other name is alike).</summary>
    public static string Known(string name) => s_names.Contains(name) ? name : name.Length == 0 ? "empty" : "other";

    private static void Features(ViciMessage message, FuzzContext context, int depth)
    {
        foreach (ViciEntry e in message.Entries)
        {
            string kind = e.Section is not null ? "section" : e.Items is not null ? $"list:{Math.Min(e.Items.Count, 3)}" : "value";
            context.Feature($"element:{Math.Min(depth, 4)}:{kind}");
            if (e.Section is not null) Features(e.Section, context, depth + 1);
        }
    }
}

/// <summary>
/// <c>vici-session</c>: a client's byte stream through <see cref="ViciSession"/> (packet types, event registration,
/// one response per command), with a service that runs the configuration commands as the daemon does with Core's
/// functions alone: load-conn and load-pool through <see cref="ViciConfigTree.Sections(ViciMessage, string, string, List{string})"/>,
/// load-shared through <see cref="ViciConfigTree.SharedSecret"/>, then the merged tree through
/// <see cref="SwanctlConfigLoader"/>. (The daemon's other commands drive its engine and files, which no fuzzer
/// reaches sans-IO.) Properties: every command, registration and deregistration read before the session stops gets
/// exactly one answer, in well-formed segments; a session stops on a packet a client may not send.
/// </summary>
internal sealed class ViciSessionTarget : IFuzzTarget
{
    public void Run(byte[] input, FuzzContext context)
    {
        var stream = new ScriptedStream(input);
        var service = new ConfigService(context);
        var session = new ViciSession(stream, 0);
        session.RunAsync(ReadOnlyMemory<byte>.Empty, service, authorised: input.Length % 7 != 6, CancellationToken.None).GetAwaiter().GetResult();

        int expected = Requests(input, out HashSet<string> registered);
        int answers = 0;
        ReadOnlySpan<byte> output = stream.Written;
        while (!output.IsEmpty)
        {
            FuzzContext.Check(ViciPacket.TryReadSegmentLength(output, out int length, out _) && output.Length >= ViciPacket.LengthFieldSize + length,
                "the session wrote a malformed segment");
            FuzzContext.Check(ViciPacket.TryParse(output.Slice(ViciPacket.LengthFieldSize, length), out ViciPacket? packet, out _), "the session wrote an unparsable packet");
            output = output[(ViciPacket.LengthFieldSize + length)..];
            if (packet!.Type == ViciPacketType.Event)
            {
                FuzzContext.Check(registered.Contains(packet.Name), $"the session sent a '{packet.Name}' event the client never registered for");
                context.Feature("event");
                continue;
            }
            FuzzContext.Check(packet.Type is ViciPacketType.CmdResponse or ViciPacketType.CmdUnknown or ViciPacketType.EventConfirm or ViciPacketType.EventUnknown,
                $"the session sent a {packet.Type} packet without being asked");
            FuzzContext.Check(packet.Type != ViciPacketType.CmdResponse || ViciMessage.TryParse(packet.Message, out _, out _), "the session wrote an unparsable response");
            context.Feature($"answer:{packet.Type}");
            answers++;
        }
        FuzzContext.Check(answers == expected, $"{expected} requests were read but {answers} answers sent");
    }

    /// <summary>
    /// The packets a session answers before it stops (well-formed client packets, up to the first that is not) and
    /// the event names registered among them.
    /// </summary>
    private static int Requests(ReadOnlySpan<byte> input, out HashSet<string> registered)
    {
        registered = [];
        int count = 0;
        while (ViciPacket.TryReadSegmentLength(input, out int length, out _) && input.Length >= ViciPacket.LengthFieldSize + length)
        {
            if (!ViciPacket.TryParse(input.Slice(ViciPacket.LengthFieldSize, length), out ViciPacket? packet, out _)) break;
            if (packet!.Type is not (ViciPacketType.CmdRequest or ViciPacketType.EventRegister or ViciPacketType.EventUnregister)) break;
            if (packet.Type == ViciPacketType.EventRegister) registered.Add(packet.Name);
            count++;
            input = input[(ViciPacket.LengthFieldSize + length)..];
        }
        return count;
    }

    /// <summary>The configuration commands over Core (what the daemon's ApplyVici checks), the others answered plainly.</summary>
    private sealed class ConfigService(FuzzContext context) : IViciService
    {
        private readonly List<SettingsSection> _connections = [], _pools = [], _secrets = [];

        public Task<ViciMessage?> ExecuteAsync(ViciSession session, string command, ViciMessage request, CancellationToken cancellationToken)
        {
            context.Feature($"command:{ViciPacketTarget.Known(command)}");
            ViciMessage? answer = command switch
            {
                "load-conn" => Load(request, "connections", command, _connections),
                "load-pool" => Load(request, "pools", command, _pools),
                "load-shared" => LoadShared(request),
                "version" or "stats" or "get-conns" or "get-pools" or "get-shared" or "get-keys" or "get-authorities" => ViciSession.Success(),
                "list-sas" or "list-conns" => Stream(session, command),
                _ => null,
            };
            return Task.FromResult(answer);
        }

        private ViciMessage Stream(ViciSession session, string command)
        {
            // An event the client did not register for is not sent, one it did is (and precedes the response).
            session.TrySendEvent(command == "list-sas" ? "list-sa" : "list-conn", new ViciMessage().AddSection("gw").Add("state", "ESTABLISHED"));
            return ViciSession.Success();
        }

        private ViciMessage Load(ViciMessage request, string parent, string command, List<SettingsSection> store)
        {
            var errors = new List<string>();
            IReadOnlyList<SettingsSection> sections = ViciConfigTree.Sections(request, parent, command, errors, []);
            foreach (string e in errors.Take(4)) context.Feature($"{command}:error:{FuzzContext.Shape(e)}");
            if (errors.Count > 0 || sections.Count == 0) return ViciSession.Failure("refused");
            var before = new List<SettingsSection>(store);
            foreach (SettingsSection s in sections)
            {
                store.RemoveAll(x => x.Name == s.Name);
                store.Add(s);
            }
            if (!Apply(command))
            {
                store.Clear();
                store.AddRange(before);
                return ViciSession.Failure("refused");
            }
            return ViciSession.Success();
        }

        private ViciMessage LoadShared(ViciMessage request)
        {
            var errors = new List<string>();
            SettingsSection? section = ViciConfigTree.SharedSecret(request, errors);
            foreach (string e in errors.Take(4)) context.Feature($"load-shared:error:{FuzzContext.Shape(e)}");
            if (section is null) return ViciSession.Failure("refused");
            _secrets.RemoveAll(s => s.Name == section.Name);
            _secrets.Add(section);
            if (!Apply("load-shared"))
            {
                _secrets.Remove(section);
                return ViciSession.Failure("refused");
            }
            return ViciSession.Success();
        }

        private bool Apply(string command)
        {
            var file = new SettingsSection("", "", new SourceLocation("swanctl.conf", 0));
            SettingsSection merged = ViciConfigTree.Merge(file, _connections, _pools, _secrets);
            (PortcullisConfig? config, IReadOnlyList<ConfigError> errors) = SwanctlConfigLoader.Load(merged);
            foreach (ConfigError e in errors.Take(4)) context.Feature($"{command}:config:{FuzzContext.Shape(e.Message)}");
            if (config is not null) context.Feature($"{command}:ok:{Math.Min(config.Connections.Count, 3)}:{Math.Min(config.Secrets.Count, 3)}");
            return config is not null;
        }

        public bool HasEvent(string name) => name is "list-sa" or "list-conn" or "log" or "control-log" or "ike-updown" or "child-updown";

        public void Opened(ViciSession session) { }

        public void Closed(ViciSession session) { }
    }

    /// <summary>Reads the input, then end of stream; keeps what the session writes.</summary>
    private sealed class ScriptedStream(byte[] input) : Stream
    {
        private int _read;
        private readonly MemoryStream _written = new();

        public ReadOnlySpan<byte> Written => _written.GetBuffer().AsSpan(0, (int)_written.Length);

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            int n = Math.Min(buffer.Length, input.Length - _read);
            input.AsSpan(_read, n).CopyTo(buffer);
            _read += n;
            return n;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.FromResult(Read(buffer.Span));

        public override void Write(byte[] buffer, int offset, int count) => _written.Write(buffer, offset, count);

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            lock (_written) _written.Write(buffer.Span);
            return ValueTask.CompletedTask;
        }

        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public override void Flush() { }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }

    /// <summary>A request segment as swanctl writes it (for seeds built in code).</summary>
    public static byte[] Request(string command, ViciMessage message) => new ViciPacket(ViciPacketType.CmdRequest, command, message.Encode()).ToSegment();

}

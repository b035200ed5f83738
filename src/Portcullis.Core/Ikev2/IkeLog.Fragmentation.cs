using Microsoft.Extensions.Logging;

namespace Portcullis.Core.Ikev2;

/// <summary>Log lines of IKE fragmentation (RFC 7383); a dropped fragment is a <see cref="DroppedForSa"/> warning.</summary>
internal static partial class IkeLog
{
    [LoggerMessage(EventId = 150, Level = LogLevel.Debug, Message = "{Conn}[{Uid}] sending {Exchange} {Kind} {MessageId} in {Fragments} fragments ({Bytes} bytes, at most {Size} each)")]
    public static partial void SendingFragments(ILogger logger, string conn, uint uid, string exchange, string kind, uint messageId, int fragments, int bytes, int size);

    [LoggerMessage(EventId = 151, Level = LogLevel.Debug, Message = "{Conn}[{Uid}] received a fragment of {Exchange} {Kind} {MessageId}: {Status}, {Stored} of {Total} kept")]
    public static partial void FragmentReceived(ILogger logger, string conn, uint uid, string exchange, string kind, uint messageId, string status, int stored, int total);

    [LoggerMessage(EventId = 152, Level = LogLevel.Debug, Message = "{Conn}[{Uid}] reassembled {Exchange} {Kind} {MessageId} from {Fragments} fragments ({Bytes} bytes)")]
    public static partial void Reassembled(ILogger logger, string conn, uint uid, string exchange, string kind, uint messageId, int fragments, int bytes);

    [LoggerMessage(EventId = 153, Level = LogLevel.Warning, Message = "{Conn}[{Uid}] {Exchange} {Kind} {MessageId} of {Bytes} bytes cannot be fragmented to fit fragment_size {Size}; sending it whole")]
    public static partial void CannotFragment(ILogger logger, string conn, uint uid, string exchange, string kind, uint messageId, int bytes, int size);
}

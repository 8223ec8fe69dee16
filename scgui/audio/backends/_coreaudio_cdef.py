"""C declarations for Core Audio, AudioToolbox's output unit, CoreFoundation and the ObjC runtime.

The types are those of Apple's headers for 64-bit macOS (x86_64 and arm64, both LP64 with
natural alignment: Core Audio's headers set no ``#pragma pack``). Their sizes and field
offsets are written down in :data:`APPLE_LAYOUTS` with the header each comes from, and
``tests/test_coreaudio_logic.py`` checks the declarations against them on Linux, where the
same LP64 rules hold.

Selectors, scopes and class codes are four-character codes (``'dev#'``); they are Python
integers here, made by :func:`fourcc`, because cffi's cdef cannot spell a multi-character
constant. Only the functions scgui calls are declared.

Process taps (``AudioHardwareCreateProcessTap``, macOS 14.2 and later) are declared like the
rest: cffi looks a function up only when it is first used, so on an older system the library
still loads and :mod:`~scgui.audio.backends.coreaudio` says what loopback recording needs.
"""

from __future__ import annotations

from ._ffi_modules import FfiSpec


def fourcc(code: str) -> int:
    """The integer of a four-character code as Apple's headers write it: ``'dev#'``."""
    raw = code.encode("latin-1")
    if len(raw) != 4:
        raise ValueError(f"a four-character code has four characters, not {code!r}")
    return int.from_bytes(raw, "big")


TYPES = """
typedef int32_t OSStatus;
typedef uint32_t OSType;
typedef uint8_t Boolean;
typedef int16_t SInt16;
typedef uint32_t UInt32;
typedef int32_t SInt32;
typedef uint64_t UInt64;
typedef float Float32;
typedef double Float64;

typedef UInt32 AudioObjectID;
typedef UInt32 AudioObjectPropertySelector;
typedef UInt32 AudioObjectPropertyScope;
typedef UInt32 AudioObjectPropertyElement;

typedef struct AudioObjectPropertyAddress {
    AudioObjectPropertySelector mSelector;
    AudioObjectPropertyScope mScope;
    AudioObjectPropertyElement mElement;
} AudioObjectPropertyAddress;

typedef struct AudioValueRange {
    Float64 mMinimum;
    Float64 mMaximum;
} AudioValueRange;

typedef struct AudioBuffer {
    UInt32 mNumberChannels;
    UInt32 mDataByteSize;
    void *mData;
} AudioBuffer;

typedef struct AudioBufferList {
    UInt32 mNumberBuffers;
    AudioBuffer mBuffers[1];
} AudioBufferList;

typedef struct AudioStreamBasicDescription {
    Float64 mSampleRate;
    UInt32 mFormatID;
    UInt32 mFormatFlags;
    UInt32 mBytesPerPacket;
    UInt32 mFramesPerPacket;
    UInt32 mBytesPerFrame;
    UInt32 mChannelsPerFrame;
    UInt32 mBitsPerChannel;
    UInt32 mReserved;
} AudioStreamBasicDescription;

typedef struct SMPTETime {
    SInt16 mSubframes;
    SInt16 mSubframeDivisor;
    UInt32 mCounter;
    UInt32 mType;
    UInt32 mFlags;
    SInt16 mHours;
    SInt16 mMinutes;
    SInt16 mSeconds;
    SInt16 mFrames;
} SMPTETime;

typedef struct AudioTimeStamp {
    Float64 mSampleTime;
    UInt64 mHostTime;
    Float64 mRateScalar;
    UInt64 mWordClockTime;
    SMPTETime mSMPTETime;
    UInt32 mFlags;
    UInt32 mReserved;
} AudioTimeStamp;

typedef struct AudioChannelDescription {
    UInt32 mChannelLabel;
    UInt32 mChannelFlags;
    Float32 mCoordinates[3];
} AudioChannelDescription;

typedef struct AudioChannelLayout {
    UInt32 mChannelLayoutTag;
    UInt32 mChannelBitmap;
    UInt32 mNumberChannelDescriptions;
    AudioChannelDescription mChannelDescriptions[1];
} AudioChannelLayout;

typedef struct AudioComponentDescription {
    OSType componentType;
    OSType componentSubType;
    OSType componentManufacturer;
    UInt32 componentFlags;
    UInt32 componentFlagsMask;
} AudioComponentDescription;

typedef struct OpaqueAudioComponent *AudioComponent;
typedef struct ComponentInstanceRecord *AudioComponentInstance;
typedef AudioComponentInstance AudioUnit;
typedef UInt32 AudioUnitRenderActionFlags;
typedef UInt32 AudioUnitPropertyID;
typedef UInt32 AudioUnitScope;
typedef UInt32 AudioUnitElement;

typedef OSStatus (*AURenderCallback)(void *inRefCon, AudioUnitRenderActionFlags *ioActionFlags,
                                     const AudioTimeStamp *inTimeStamp, UInt32 inBusNumber,
                                     UInt32 inNumberFrames, AudioBufferList *ioData);

typedef struct AURenderCallbackStruct {
    AURenderCallback inputProc;
    void *inputProcRefCon;
} AURenderCallbackStruct;

typedef OSStatus (*AudioObjectPropertyListenerProc)(AudioObjectID inObjectID,
                                                    UInt32 inNumberAddresses,
                                                    const AudioObjectPropertyAddress *inAddresses,
                                                    void *inClientData);

typedef long CFIndex;
typedef UInt32 CFStringEncoding;
typedef CFIndex CFNumberType;
typedef const void *CFTypeRef;
typedef const struct __CFAllocator *CFAllocatorRef;
typedef const struct __CFString *CFStringRef;
typedef const struct __CFNumber *CFNumberRef;
typedef const struct __CFArray *CFArrayRef;
typedef const struct __CFDictionary *CFDictionaryRef;

typedef struct CFArrayCallBacks {
    CFIndex version;
    void *retain;
    void *release;
    void *copyDescription;
    void *equal;
} CFArrayCallBacks;

typedef struct CFDictionaryKeyCallBacks {
    CFIndex version;
    void *retain;
    void *release;
    void *copyDescription;
    void *equal;
    void *hash;
} CFDictionaryKeyCallBacks;

typedef struct CFDictionaryValueCallBacks {
    CFIndex version;
    void *retain;
    void *release;
    void *copyDescription;
    void *equal;
} CFDictionaryValueCallBacks;

typedef struct {
    uint32_t numer;
    uint32_t denom;
} mach_timebase_info_data_t;
"""

FUNCTIONS = """
Boolean AudioObjectHasProperty(AudioObjectID inObjectID,
                               const AudioObjectPropertyAddress *inAddress);
OSStatus AudioObjectGetPropertyDataSize(AudioObjectID inObjectID,
                                        const AudioObjectPropertyAddress *inAddress,
                                        UInt32 inQualifierDataSize, const void *inQualifierData,
                                        UInt32 *outDataSize);
OSStatus AudioObjectGetPropertyData(AudioObjectID inObjectID,
                                    const AudioObjectPropertyAddress *inAddress,
                                    UInt32 inQualifierDataSize, const void *inQualifierData,
                                    UInt32 *ioDataSize, void *outData);
OSStatus AudioObjectSetPropertyData(AudioObjectID inObjectID,
                                    const AudioObjectPropertyAddress *inAddress,
                                    UInt32 inQualifierDataSize, const void *inQualifierData,
                                    UInt32 inDataSize, const void *inData);
OSStatus AudioObjectAddPropertyListener(AudioObjectID inObjectID,
                                        const AudioObjectPropertyAddress *inAddress,
                                        AudioObjectPropertyListenerProc inListener,
                                        void *inClientData);
OSStatus AudioObjectRemovePropertyListener(AudioObjectID inObjectID,
                                           const AudioObjectPropertyAddress *inAddress,
                                           AudioObjectPropertyListenerProc inListener,
                                           void *inClientData);
OSStatus AudioHardwareCreateAggregateDevice(CFDictionaryRef inDescription,
                                            AudioObjectID *outDeviceID);
OSStatus AudioHardwareDestroyAggregateDevice(AudioObjectID inDeviceID);
OSStatus AudioHardwareCreateProcessTap(void *inDescription, AudioObjectID *outTapID);
OSStatus AudioHardwareDestroyProcessTap(AudioObjectID inTapID);

AudioComponent AudioComponentFindNext(AudioComponent inComponent,
                                      const AudioComponentDescription *inDesc);
OSStatus AudioComponentInstanceNew(AudioComponent inComponent,
                                   AudioComponentInstance *outInstance);
OSStatus AudioComponentInstanceDispose(AudioComponentInstance inInstance);
OSStatus AudioUnitInitialize(AudioUnit inUnit);
OSStatus AudioUnitUninitialize(AudioUnit inUnit);
OSStatus AudioUnitSetProperty(AudioUnit inUnit, AudioUnitPropertyID inID,
                              AudioUnitScope inScope, AudioUnitElement inElement,
                              const void *inData, UInt32 inDataSize);
OSStatus AudioUnitGetProperty(AudioUnit inUnit, AudioUnitPropertyID inID,
                              AudioUnitScope inScope, AudioUnitElement inElement,
                              void *outData, UInt32 *ioDataSize);
OSStatus AudioUnitRender(AudioUnit inUnit, AudioUnitRenderActionFlags *ioActionFlags,
                         const AudioTimeStamp *inTimeStamp, UInt32 inOutputBusNumber,
                         UInt32 inNumberFrames, AudioBufferList *ioData);
OSStatus AudioOutputUnitStart(AudioUnit ci);
OSStatus AudioOutputUnitStop(AudioUnit ci);

CFIndex CFStringGetLength(CFStringRef theString);
CFIndex CFStringGetMaximumSizeForEncoding(CFIndex length, CFStringEncoding encoding);
Boolean CFStringGetCString(CFStringRef theString, char *buffer, CFIndex bufferSize,
                           CFStringEncoding encoding);
CFStringRef CFStringCreateWithCString(CFAllocatorRef alloc, const char *cStr,
                                      CFStringEncoding encoding);
CFNumberRef CFNumberCreate(CFAllocatorRef allocator, CFNumberType theType,
                           const void *valuePtr);
CFArrayRef CFArrayCreate(CFAllocatorRef allocator, const void **values, CFIndex numValues,
                         const CFArrayCallBacks *callBacks);
CFDictionaryRef CFDictionaryCreate(CFAllocatorRef allocator, const void **keys,
                                   const void **values, CFIndex numValues,
                                   const CFDictionaryKeyCallBacks *keyCallBacks,
                                   const CFDictionaryValueCallBacks *valueCallBacks);
void CFRelease(CFTypeRef cf);
const CFArrayCallBacks kCFTypeArrayCallBacks;
const CFDictionaryKeyCallBacks kCFTypeDictionaryKeyCallBacks;
const CFDictionaryValueCallBacks kCFTypeDictionaryValueCallBacks;

void *objc_getClass(const char *name);
void *sel_registerName(const char *str);
void objc_msgSend(void);
void *objc_autoreleasePoolPush(void);
void objc_autoreleasePoolPop(void *pool);

uint64_t mach_absolute_time(void);
int mach_timebase_info(mach_timebase_info_data_t *info);
"""

FFI_SPEC = FfiSpec("_coreaudio_ffi", ((TYPES + FUNCTIONS, False),))

#: Where the frameworks are: what ``ffi.dlopen`` opens.
COREAUDIO = "/System/Library/Frameworks/CoreAudio.framework/CoreAudio"
AUDIOTOOLBOX = "/System/Library/Frameworks/AudioToolbox.framework/AudioToolbox"
COREFOUNDATION = "/System/Library/Frameworks/CoreFoundation.framework/CoreFoundation"
AVFOUNDATION = "/System/Library/Frameworks/AVFoundation.framework/AVFoundation"
LIBOBJC = "/usr/lib/libobjc.A.dylib"
LIBSYSTEM = "/usr/lib/libSystem.B.dylib"

#: Sizes and field offsets of the declared structs on 64-bit macOS, from Apple's headers
#: (MacOSX SDK 11.3 and later; the layouts have not changed since 10.x): ``{type: (size,
#: {field: offset}, header)}``. Natural alignment throughout.
APPLE_LAYOUTS: dict[str, tuple[int, dict[str, int], str]] = {
    "AudioObjectPropertyAddress": (
        12,
        {"mSelector": 0, "mScope": 4, "mElement": 8},
        "CoreAudio/AudioHardwareBase.h",
    ),
    "AudioValueRange": (
        16,
        {"mMinimum": 0, "mMaximum": 8},
        "CoreAudioTypes/CoreAudioBaseTypes.h",
    ),
    "AudioBuffer": (
        16,
        {"mNumberChannels": 0, "mDataByteSize": 4, "mData": 8},
        "CoreAudioTypes/CoreAudioBaseTypes.h",
    ),
    "AudioBufferList": (
        24,
        {"mNumberBuffers": 0, "mBuffers": 8},
        "CoreAudioTypes/CoreAudioBaseTypes.h",
    ),
    "AudioStreamBasicDescription": (
        40,
        {
            "mSampleRate": 0,
            "mFormatID": 8,
            "mFormatFlags": 12,
            "mBytesPerPacket": 16,
            "mFramesPerPacket": 20,
            "mBytesPerFrame": 24,
            "mChannelsPerFrame": 28,
            "mBitsPerChannel": 32,
            "mReserved": 36,
        },
        "CoreAudioTypes/CoreAudioBaseTypes.h",
    ),
    "SMPTETime": (
        24,
        {
            "mSubframes": 0,
            "mSubframeDivisor": 2,
            "mCounter": 4,
            "mType": 8,
            "mFlags": 12,
            "mHours": 16,
            "mMinutes": 18,
            "mSeconds": 20,
            "mFrames": 22,
        },
        "CoreAudioTypes/CoreAudioBaseTypes.h",
    ),
    "AudioTimeStamp": (
        64,
        {
            "mSampleTime": 0,
            "mHostTime": 8,
            "mRateScalar": 16,
            "mWordClockTime": 24,
            "mSMPTETime": 32,
            "mFlags": 56,
            "mReserved": 60,
        },
        "CoreAudioTypes/CoreAudioBaseTypes.h",
    ),
    "AudioChannelDescription": (
        20,
        {"mChannelLabel": 0, "mChannelFlags": 4, "mCoordinates": 8},
        "CoreAudioTypes/CoreAudioBaseTypes.h",
    ),
    "AudioChannelLayout": (
        32,
        {
            "mChannelLayoutTag": 0,
            "mChannelBitmap": 4,
            "mNumberChannelDescriptions": 8,
            "mChannelDescriptions": 12,
        },
        "CoreAudioTypes/CoreAudioBaseTypes.h",
    ),
    "AudioComponentDescription": (
        20,
        {
            "componentType": 0,
            "componentSubType": 4,
            "componentManufacturer": 8,
            "componentFlags": 12,
            "componentFlagsMask": 16,
        },
        "AudioToolbox/AudioComponent.h",
    ),
    "AURenderCallbackStruct": (
        16,
        {"inputProc": 0, "inputProcRefCon": 8},
        "AudioToolbox/AUComponent.h",
    ),
    "CFArrayCallBacks": (
        40,
        {"version": 0, "retain": 8, "release": 16, "copyDescription": 24, "equal": 32},
        "CoreFoundation/CFArray.h",
    ),
    "CFDictionaryKeyCallBacks": (
        48,
        {
            "version": 0,
            "retain": 8,
            "release": 16,
            "copyDescription": 24,
            "equal": 32,
            "hash": 40,
        },
        "CoreFoundation/CFDictionary.h",
    ),
    "mach_timebase_info_data_t": (8, {"numer": 0, "denom": 4}, "mach/mach_time.h"),
}

# -- Audio objects (CoreAudio/AudioHardwareBase.h, AudioHardware.h) ---------------------------
kAudioObjectSystemObject = 1
kAudioObjectUnknown = 0
kAudioObjectPropertyScopeGlobal = fourcc("glob")
kAudioObjectPropertyScopeInput = fourcc("inpt")
kAudioObjectPropertyScopeOutput = fourcc("outp")
kAudioObjectPropertyElementMain = 0
kAudioObjectPropertyName = fourcc("lnam")
kAudioObjectPropertyManufacturer = fourcc("lmak")
kAudioObjectPropertyElementName = fourcc("lchn")
kAudioHardwarePropertyDevices = fourcc("dev#")
kAudioHardwarePropertyDefaultInputDevice = fourcc("dIn ")
kAudioHardwarePropertyDefaultOutputDevice = fourcc("dOut")
kAudioHardwarePropertyTranslateUIDToDevice = fourcc("uidd")
kAudioDevicePropertyDeviceUID = fourcc("uid ")
kAudioDevicePropertyDeviceIsAlive = fourcc("livn")
kAudioDevicePropertyStreamConfiguration = fourcc("slay")
kAudioDevicePropertyNominalSampleRate = fourcc("nsrt")
kAudioDevicePropertyAvailableNominalSampleRates = fourcc("nsr#")
kAudioDevicePropertyBufferFrameSize = fourcc("fsiz")
kAudioDevicePropertyBufferFrameSizeRange = fourcc("fsz#")
kAudioDevicePropertyLatency = fourcc("ltnc")
kAudioDevicePropertySafetyOffset = fourcc("saft")
kAudioDevicePropertyStreams = fourcc("stm#")
kAudioDevicePropertyPreferredChannelLayout = fourcc("srnd")
kAudioDevicePropertyVolumeScalar = fourcc("volm")
kAudioDevicePropertyMute = fourcc("mute")
kAudioDevicePropertyTransportType = fourcc("tran")
kAudioStreamPropertyLatency = fourcc("ltnc")
kAudioTapPropertyUID = fourcc("tuid")
kAudioTapPropertyFormat = fourcc("tfmt")

# -- Errors (AudioHardwareBase.h, AUComponent.h, AudioComponent.h) ----------------------------
kAudioHardwareNoError = 0
kAudioHardwareNotRunningError = fourcc("stop")
kAudioHardwareUnspecifiedError = fourcc("what")
kAudioHardwareUnknownPropertyError = fourcc("who?")
kAudioHardwareBadPropertySizeError = fourcc("!siz")
kAudioHardwareIllegalOperationError = fourcc("nope")
kAudioHardwareBadObjectError = fourcc("!obj")
kAudioHardwareBadDeviceError = fourcc("!dev")
kAudioHardwareBadStreamError = fourcc("!str")
kAudioHardwareUnsupportedOperationError = fourcc("unop")
kAudioHardwareNotReadyError = fourcc("nrdy")
kAudioDeviceUnsupportedFormatError = fourcc("!dat")
kAudioDevicePermissionsError = fourcc("!hog")

# -- The HAL output unit (AudioToolbox/AudioUnitProperties.h, AUComponent.h) ------------------
kAudioUnitType_Output = fourcc("auou")
kAudioUnitSubType_HALOutput = fourcc("ahal")
kAudioUnitManufacturer_Apple = fourcc("appl")
kAudioUnitScope_Global = 0
kAudioUnitScope_Input = 1
kAudioUnitScope_Output = 2
kAudioUnitProperty_StreamFormat = 8
kAudioUnitProperty_Latency = 12
kAudioUnitProperty_MaximumFramesPerSlice = 14
kAudioUnitProperty_SetRenderCallback = 23
kAudioOutputUnitProperty_CurrentDevice = 2000
kAudioOutputUnitProperty_EnableIO = 2003
kAudioOutputUnitProperty_SetInputCallback = 2005
#: The output unit's buses: 0 plays to the device, 1 records from it.
OUTPUT_BUS = 0
INPUT_BUS = 1
kAudioUnitRenderAction_OutputIsSilence = 1 << 4

# -- Formats (CoreAudioBaseTypes.h) -----------------------------------------------------------
kAudioFormatLinearPCM = fourcc("lpcm")
kAudioFormatFlagIsFloat = 1 << 0
kAudioFormatFlagIsBigEndian = 1 << 1
kAudioFormatFlagIsPacked = 1 << 3
kAudioFormatFlagIsNonInterleaved = 1 << 5
kAudioChannelLayoutTag_UseChannelDescriptions = 0
kAudioChannelLayoutTag_UseChannelBitmap = 1 << 16

# -- CoreFoundation (CFString.h, CFNumber.h) --------------------------------------------------
kCFStringEncodingUTF8 = 0x08000100
kCFNumberSInt32Type = 3

# -- Aggregate devices and taps (AudioHardware.h, macOS 14.2) --------------------------------
kAudioAggregateDeviceNameKey = "name"
kAudioAggregateDeviceUIDKey = "uid"
kAudioAggregateDeviceIsPrivateKey = "private"
kAudioAggregateDeviceTapListKey = "taps"
kAudioAggregateDeviceTapAutoStartKey = "tapautostart"
kAudioSubTapUIDKey = "uid"
kAudioSubTapDriftCompensationKey = "drift"

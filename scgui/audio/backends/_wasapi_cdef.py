"""C declarations for WASAPI and the MMDevice API, as the Windows SDK headers define them.

COM interfaces are structs whose first member points at a table of function pointers, in the
order of the interface's methods (inherited ones first), so a method is
``obj.lpVtbl.Method(obj, ...)``. Only the methods scgui calls need correct signatures, but
every slot before them must be there for the offsets to be right; unused ones are ``void *``.

``WAVEFORMATEX`` and ``WAVEFORMATEXTENSIBLE`` are byte-packed in the headers
(``mmreg.h`` includes ``pshpack1.h``): 18 and 40 bytes, the channel mask at offset 20. They
are declared in a packed cdef of their own. Integer types have fixed widths (Windows is
LLP64: ``long`` and ``DWORD`` are 32 bits) and wide strings are UTF-16 (``char16_t``), so the
declarations give Windows' layouts on Linux too, where the tests check them.
"""

from __future__ import annotations

from ._ffi_modules import FfiSpec

TYPES = """
typedef int32_t HRESULT;
typedef uint32_t ULONG;
typedef uint32_t DWORD;
typedef uint16_t WORD;
typedef uint32_t UINT;
typedef uint32_t UINT32;
typedef uint64_t UINT64;
typedef int64_t REFERENCE_TIME;
typedef unsigned char BYTE;
typedef int32_t BOOL;
typedef void *HANDLE;
typedef char16_t WCHAR;
typedef WCHAR *LPWSTR;
typedef const WCHAR *LPCWSTR;

typedef struct { uint32_t Data1; uint16_t Data2; uint16_t Data3; uint8_t Data4[8]; } GUID;
typedef struct { GUID fmtid; DWORD pid; } PROPERTYKEY;

typedef struct {
    WORD vt;
    WORD wReserved1, wReserved2, wReserved3;
    union {
        LPWSTR pwszVal;
        struct { ULONG cbSize; BYTE *pBlobData; } blob;
        UINT32 ulVal;
        uint64_t padding[2];
    };
} PROPVARIANT;
"""

#: Byte-packed, as in mmreg.h.
PACKED_TYPES = """
typedef struct {
    WORD wFormatTag;
    WORD nChannels;
    DWORD nSamplesPerSec;
    DWORD nAvgBytesPerSec;
    WORD nBlockAlign;
    WORD wBitsPerSample;
    WORD cbSize;
} WAVEFORMATEX;

typedef struct {
    WAVEFORMATEX Format;
    union { WORD wValidBitsPerSample; WORD wSamplesPerBlock; WORD wReserved; } Samples;
    DWORD dwChannelMask;
    GUID SubFormat;
} WAVEFORMATEXTENSIBLE;
"""

INTERFACES = """
typedef struct IMMDevice IMMDevice;
typedef struct IMMDeviceCollection IMMDeviceCollection;
typedef struct IMMDeviceEnumerator IMMDeviceEnumerator;
typedef struct IMMEndpoint IMMEndpoint;
typedef struct IMMNotificationClient IMMNotificationClient;
typedef struct IPropertyStore IPropertyStore;
typedef struct IAudioClient IAudioClient;
typedef struct IAudioRenderClient IAudioRenderClient;
typedef struct IAudioClock IAudioClock;
typedef struct IAudioCaptureClient IAudioCaptureClient;
typedef struct IUnknown IUnknown;
typedef struct IAudioSessionManager2 IAudioSessionManager2;
typedef struct IAudioSessionEnumerator IAudioSessionEnumerator;
typedef struct IAudioSessionControl2 IAudioSessionControl2;
typedef struct ISimpleAudioVolume ISimpleAudioVolume;

typedef struct {
    HRESULT (__stdcall *QueryInterface)(IUnknown *, const GUID *, void **);
    ULONG (__stdcall *AddRef)(IUnknown *);
    ULONG (__stdcall *Release)(IUnknown *);
} IUnknownVtbl;
struct IUnknown { IUnknownVtbl *lpVtbl; };

typedef struct {
    HRESULT (__stdcall *QueryInterface)(IMMDeviceEnumerator *, const GUID *, void **);
    ULONG (__stdcall *AddRef)(IMMDeviceEnumerator *);
    ULONG (__stdcall *Release)(IMMDeviceEnumerator *);
    HRESULT (__stdcall *EnumAudioEndpoints)(IMMDeviceEnumerator *, int, DWORD,
                                            IMMDeviceCollection **);
    HRESULT (__stdcall *GetDefaultAudioEndpoint)(IMMDeviceEnumerator *, int, int, IMMDevice **);
    HRESULT (__stdcall *GetDevice)(IMMDeviceEnumerator *, LPCWSTR, IMMDevice **);
    HRESULT (__stdcall *RegisterEndpointNotificationCallback)(IMMDeviceEnumerator *,
                                                              IMMNotificationClient *);
    HRESULT (__stdcall *UnregisterEndpointNotificationCallback)(IMMDeviceEnumerator *,
                                                                IMMNotificationClient *);
} IMMDeviceEnumeratorVtbl;
struct IMMDeviceEnumerator { IMMDeviceEnumeratorVtbl *lpVtbl; };

typedef struct {
    HRESULT (__stdcall *QueryInterface)(IMMDeviceCollection *, const GUID *, void **);
    ULONG (__stdcall *AddRef)(IMMDeviceCollection *);
    ULONG (__stdcall *Release)(IMMDeviceCollection *);
    HRESULT (__stdcall *GetCount)(IMMDeviceCollection *, UINT *);
    HRESULT (__stdcall *Item)(IMMDeviceCollection *, UINT, IMMDevice **);
} IMMDeviceCollectionVtbl;
struct IMMDeviceCollection { IMMDeviceCollectionVtbl *lpVtbl; };

typedef struct {
    HRESULT (__stdcall *QueryInterface)(IMMDevice *, const GUID *, void **);
    ULONG (__stdcall *AddRef)(IMMDevice *);
    ULONG (__stdcall *Release)(IMMDevice *);
    HRESULT (__stdcall *Activate)(IMMDevice *, const GUID *, DWORD, PROPVARIANT *, void **);
    HRESULT (__stdcall *OpenPropertyStore)(IMMDevice *, DWORD, IPropertyStore **);
    HRESULT (__stdcall *GetId)(IMMDevice *, LPWSTR *);
    HRESULT (__stdcall *GetState)(IMMDevice *, DWORD *);
} IMMDeviceVtbl;
struct IMMDevice { IMMDeviceVtbl *lpVtbl; };

typedef struct {
    HRESULT (__stdcall *QueryInterface)(IMMEndpoint *, const GUID *, void **);
    ULONG (__stdcall *AddRef)(IMMEndpoint *);
    ULONG (__stdcall *Release)(IMMEndpoint *);
    HRESULT (__stdcall *GetDataFlow)(IMMEndpoint *, int *);
} IMMEndpointVtbl;
struct IMMEndpoint { IMMEndpointVtbl *lpVtbl; };

typedef struct {
    HRESULT (__stdcall *QueryInterface)(IPropertyStore *, const GUID *, void **);
    ULONG (__stdcall *AddRef)(IPropertyStore *);
    ULONG (__stdcall *Release)(IPropertyStore *);
    HRESULT (__stdcall *GetCount)(IPropertyStore *, DWORD *);
    void *GetAt;
    HRESULT (__stdcall *GetValue)(IPropertyStore *, const PROPERTYKEY *, PROPVARIANT *);
    void *SetValue;
    void *Commit;
} IPropertyStoreVtbl;
struct IPropertyStore { IPropertyStoreVtbl *lpVtbl; };

typedef struct {
    HRESULT (__stdcall *QueryInterface)(IAudioClient *, const GUID *, void **);
    ULONG (__stdcall *AddRef)(IAudioClient *);
    ULONG (__stdcall *Release)(IAudioClient *);
    HRESULT (__stdcall *Initialize)(IAudioClient *, int, DWORD, REFERENCE_TIME, REFERENCE_TIME,
                                    const WAVEFORMATEX *, const GUID *);
    HRESULT (__stdcall *GetBufferSize)(IAudioClient *, UINT32 *);
    HRESULT (__stdcall *GetStreamLatency)(IAudioClient *, REFERENCE_TIME *);
    HRESULT (__stdcall *GetCurrentPadding)(IAudioClient *, UINT32 *);
    HRESULT (__stdcall *IsFormatSupported)(IAudioClient *, int, const WAVEFORMATEX *,
                                           WAVEFORMATEX **);
    HRESULT (__stdcall *GetMixFormat)(IAudioClient *, WAVEFORMATEX **);
    HRESULT (__stdcall *GetDevicePeriod)(IAudioClient *, REFERENCE_TIME *, REFERENCE_TIME *);
    HRESULT (__stdcall *Start)(IAudioClient *);
    HRESULT (__stdcall *Stop)(IAudioClient *);
    HRESULT (__stdcall *Reset)(IAudioClient *);
    HRESULT (__stdcall *SetEventHandle)(IAudioClient *, HANDLE);
    HRESULT (__stdcall *GetService)(IAudioClient *, const GUID *, void **);
} IAudioClientVtbl;
struct IAudioClient { IAudioClientVtbl *lpVtbl; };

typedef struct {
    HRESULT (__stdcall *QueryInterface)(IAudioRenderClient *, const GUID *, void **);
    ULONG (__stdcall *AddRef)(IAudioRenderClient *);
    ULONG (__stdcall *Release)(IAudioRenderClient *);
    HRESULT (__stdcall *GetBuffer)(IAudioRenderClient *, UINT32, BYTE **);
    HRESULT (__stdcall *ReleaseBuffer)(IAudioRenderClient *, UINT32, DWORD);
} IAudioRenderClientVtbl;
struct IAudioRenderClient { IAudioRenderClientVtbl *lpVtbl; };

typedef struct {
    HRESULT (__stdcall *QueryInterface)(IAudioClock *, const GUID *, void **);
    ULONG (__stdcall *AddRef)(IAudioClock *);
    ULONG (__stdcall *Release)(IAudioClock *);
    HRESULT (__stdcall *GetFrequency)(IAudioClock *, UINT64 *);
    HRESULT (__stdcall *GetPosition)(IAudioClock *, UINT64 *, UINT64 *);
    HRESULT (__stdcall *GetCharacteristics)(IAudioClock *, DWORD *);
} IAudioClockVtbl;
struct IAudioClock { IAudioClockVtbl *lpVtbl; };

typedef struct {
    HRESULT (__stdcall *QueryInterface)(IAudioCaptureClient *, const GUID *, void **);
    ULONG (__stdcall *AddRef)(IAudioCaptureClient *);
    ULONG (__stdcall *Release)(IAudioCaptureClient *);
    HRESULT (__stdcall *GetBuffer)(IAudioCaptureClient *, BYTE **, UINT32 *, DWORD *, UINT64 *,
                                   UINT64 *);
    HRESULT (__stdcall *ReleaseBuffer)(IAudioCaptureClient *, UINT32);
    HRESULT (__stdcall *GetNextPacketSize)(IAudioCaptureClient *, UINT32 *);
} IAudioCaptureClientVtbl;
struct IAudioCaptureClient { IAudioCaptureClientVtbl *lpVtbl; };

/* audiopolicy.h. A session control is declared as IAudioSessionControl2 (its first eleven
   slots are IAudioSessionControl's); the backend asks for IAudioSessionControl2 by
   QueryInterface before it calls those slots. */
typedef struct {
    HRESULT (__stdcall *QueryInterface)(IAudioSessionManager2 *, const GUID *, void **);
    ULONG (__stdcall *AddRef)(IAudioSessionManager2 *);
    ULONG (__stdcall *Release)(IAudioSessionManager2 *);
    HRESULT (__stdcall *GetAudioSessionControl)(IAudioSessionManager2 *, const GUID *, DWORD,
                                                IAudioSessionControl2 **);
    HRESULT (__stdcall *GetSimpleAudioVolume)(IAudioSessionManager2 *, const GUID *, DWORD,
                                              ISimpleAudioVolume **);
    HRESULT (__stdcall *GetSessionEnumerator)(IAudioSessionManager2 *,
                                              IAudioSessionEnumerator **);
    void *RegisterSessionNotification;
    void *UnregisterSessionNotification;
    void *RegisterDuckNotification;
    void *UnregisterDuckNotification;
} IAudioSessionManager2Vtbl;
struct IAudioSessionManager2 { IAudioSessionManager2Vtbl *lpVtbl; };

typedef struct {
    HRESULT (__stdcall *QueryInterface)(IAudioSessionEnumerator *, const GUID *, void **);
    ULONG (__stdcall *AddRef)(IAudioSessionEnumerator *);
    ULONG (__stdcall *Release)(IAudioSessionEnumerator *);
    HRESULT (__stdcall *GetCount)(IAudioSessionEnumerator *, int *);
    HRESULT (__stdcall *GetSession)(IAudioSessionEnumerator *, int, IAudioSessionControl2 **);
} IAudioSessionEnumeratorVtbl;
struct IAudioSessionEnumerator { IAudioSessionEnumeratorVtbl *lpVtbl; };

typedef struct {
    HRESULT (__stdcall *QueryInterface)(IAudioSessionControl2 *, const GUID *, void **);
    ULONG (__stdcall *AddRef)(IAudioSessionControl2 *);
    ULONG (__stdcall *Release)(IAudioSessionControl2 *);
    HRESULT (__stdcall *GetState)(IAudioSessionControl2 *, int *);
    HRESULT (__stdcall *GetDisplayName)(IAudioSessionControl2 *, LPWSTR *);
    void *SetDisplayName;
    HRESULT (__stdcall *GetIconPath)(IAudioSessionControl2 *, LPWSTR *);
    void *SetIconPath;
    void *GetGroupingParam;
    void *SetGroupingParam;
    void *RegisterAudioSessionNotification;
    void *UnregisterAudioSessionNotification;
    HRESULT (__stdcall *GetSessionIdentifier)(IAudioSessionControl2 *, LPWSTR *);
    HRESULT (__stdcall *GetSessionInstanceIdentifier)(IAudioSessionControl2 *, LPWSTR *);
    HRESULT (__stdcall *GetProcessId)(IAudioSessionControl2 *, DWORD *);
    HRESULT (__stdcall *IsSystemSoundsSession)(IAudioSessionControl2 *);
    void *SetDuckingPreference;
} IAudioSessionControl2Vtbl;
struct IAudioSessionControl2 { IAudioSessionControl2Vtbl *lpVtbl; };

typedef struct {
    HRESULT (__stdcall *QueryInterface)(ISimpleAudioVolume *, const GUID *, void **);
    ULONG (__stdcall *AddRef)(ISimpleAudioVolume *);
    ULONG (__stdcall *Release)(ISimpleAudioVolume *);
    HRESULT (__stdcall *SetMasterVolume)(ISimpleAudioVolume *, float, const GUID *);
    HRESULT (__stdcall *GetMasterVolume)(ISimpleAudioVolume *, float *);
    HRESULT (__stdcall *SetMute)(ISimpleAudioVolume *, BOOL, const GUID *);
    HRESULT (__stdcall *GetMute)(ISimpleAudioVolume *, BOOL *);
} ISimpleAudioVolumeVtbl;
struct ISimpleAudioVolume { ISimpleAudioVolumeVtbl *lpVtbl; };

/* Implemented by scgui: the vtable points at cffi callbacks. */
typedef struct {
    HRESULT (__stdcall *QueryInterface)(IMMNotificationClient *, const GUID *, void **);
    ULONG (__stdcall *AddRef)(IMMNotificationClient *);
    ULONG (__stdcall *Release)(IMMNotificationClient *);
    HRESULT (__stdcall *OnDeviceStateChanged)(IMMNotificationClient *, LPCWSTR, DWORD);
    HRESULT (__stdcall *OnDeviceAdded)(IMMNotificationClient *, LPCWSTR);
    HRESULT (__stdcall *OnDeviceRemoved)(IMMNotificationClient *, LPCWSTR);
    HRESULT (__stdcall *OnDefaultDeviceChanged)(IMMNotificationClient *, int, int, LPCWSTR);
    HRESULT (__stdcall *OnPropertyValueChanged)(IMMNotificationClient *, LPCWSTR, PROPERTYKEY);
} IMMNotificationClientVtbl;
struct IMMNotificationClient { IMMNotificationClientVtbl *lpVtbl; };
"""

FUNCTIONS_OLE32 = """
HRESULT __stdcall CoInitializeEx(void *, DWORD);
void __stdcall CoUninitialize(void);
HRESULT __stdcall CoCreateInstance(const GUID *, void *, DWORD, const GUID *, void **);
void __stdcall CoTaskMemFree(void *);
void * __stdcall CoTaskMemAlloc(size_t);
HRESULT __stdcall PropVariantClear(PROPVARIANT *);
"""

FUNCTIONS_KERNEL32 = """
HANDLE __stdcall CreateEventW(void *, BOOL, BOOL, LPCWSTR);
BOOL __stdcall SetEvent(HANDLE);
DWORD __stdcall WaitForSingleObject(HANDLE, DWORD);
BOOL __stdcall CloseHandle(HANDLE);
BOOL __stdcall QueryPerformanceCounter(int64_t *);
BOOL __stdcall QueryPerformanceFrequency(int64_t *);
HANDLE __stdcall OpenProcess(DWORD, BOOL, DWORD);
BOOL __stdcall QueryFullProcessImageNameW(HANDLE, DWORD, WCHAR *, DWORD *);
"""

FUNCTIONS_NTDLL = """
const char *wine_get_version(void);
"""  # under Wine only

FFI_SPEC = FfiSpec(
    "_wasapi_ffi",
    (
        (TYPES, False),
        (PACKED_TYPES, True),
        (INTERFACES, False),
        (FUNCTIONS_OLE32, False),
        (FUNCTIONS_KERNEL32, False),
        (FUNCTIONS_NTDLL, False),
    ),
)

# -- constants ---------------------------------------------------------------------------------

CLSCTX_ALL = 0x17
COINIT_MULTITHREADED = 0x0
E_RENDER, E_CAPTURE, E_ALL = 0, 1, 2
E_CONSOLE, E_MULTIMEDIA, E_COMMUNICATIONS = 0, 1, 2
DEVICE_STATE_ACTIVE = 0x1
STGM_READ = 0
VT_LPWSTR, VT_BLOB = 31, 65
AUDCLNT_SHAREMODE_SHARED, AUDCLNT_SHAREMODE_EXCLUSIVE = 0, 1
AUDCLNT_STREAMFLAGS_LOOPBACK = 0x00020000
AUDCLNT_STREAMFLAGS_EVENTCALLBACK = 0x00040000
AUDCLNT_BUFFERFLAGS_SILENT = 0x2
WAVE_FORMAT_EXTENSIBLE = 0xFFFE
WAIT_OBJECT_0, WAIT_TIMEOUT = 0x0, 0x102

CLSID_MMDEVICE_ENUMERATOR = "BCDE0395-E52F-467C-8E3D-C4579291692E"
IID_IMMDEVICE_ENUMERATOR = "A95664D2-9614-4F35-A746-DE8DB63617E6"
IID_IMMENDPOINT = "1BE09788-6894-4089-8586-9A2A6C265AC5"
IID_IMMNOTIFICATION_CLIENT = "7991EEC9-7E89-4D85-8390-6C703CEC60C0"
IID_IUNKNOWN = "00000000-0000-0000-C000-000000000046"
IID_IAUDIO_CLIENT = "1CB9AD4C-DBFA-4C32-B178-C2F568A703B2"
IID_IAUDIO_RENDER_CLIENT = "F294ACFC-3146-4483-A7BF-ADDCA7C260E2"
IID_IAUDIO_CLOCK = "CD63314F-3FBA-4A1B-812C-EF96358728E7"
IID_IAUDIO_CAPTURE_CLIENT = "C8ADBD64-E71E-48A0-A4DE-185C395CD317"
IID_IAUDIO_SESSION_MANAGER2 = "77AA99A0-1BD6-484F-8BC7-2C654C9A9B6F"
IID_IAUDIO_SESSION_CONTROL2 = "BFB7FF88-7239-4FC9-8FA2-07C950BE9C6D"
IID_ISIMPLE_AUDIO_VOLUME = "87CE5498-68D6-44E5-9215-6DA47EF883D8"
AUDIO_SESSION_STATE_INACTIVE, AUDIO_SESSION_STATE_ACTIVE, AUDIO_SESSION_STATE_EXPIRED = 0, 1, 2
PROCESS_QUERY_LIMITED_INFORMATION = 0x1000
KSDATAFORMAT_SUBTYPE_IEEE_FLOAT = "00000003-0000-0010-8000-00AA00389B71"
PKEY_DEVICE_FRIENDLY_NAME = ("A45C254E-DF1C-4EFD-8020-67D146A850E0", 14)

#: HRESULTs a user may meet, by their symbolic names (unsigned values).
HRESULT_NAMES = {
    0x88890001: "AUDCLNT_E_NOT_INITIALIZED",
    0x88890002: "AUDCLNT_E_ALREADY_INITIALIZED",
    0x88890003: "AUDCLNT_E_WRONG_ENDPOINT_TYPE",
    0x88890004: "AUDCLNT_E_DEVICE_INVALIDATED",
    0x88890005: "AUDCLNT_E_NOT_STOPPED",
    0x88890006: "AUDCLNT_E_BUFFER_TOO_LARGE",
    0x88890007: "AUDCLNT_E_OUT_OF_ORDER",
    0x88890008: "AUDCLNT_E_UNSUPPORTED_FORMAT",
    0x88890009: "AUDCLNT_E_INVALID_SIZE",
    0x8889000A: "AUDCLNT_E_DEVICE_IN_USE",
    0x8889000B: "AUDCLNT_E_BUFFER_OPERATION_PENDING",
    0x8889000C: "AUDCLNT_E_THREAD_NOT_REGISTERED",
    0x8889000E: "AUDCLNT_E_EXCLUSIVE_MODE_NOT_ALLOWED",
    0x8889000F: "AUDCLNT_E_ENDPOINT_CREATE_FAILED",
    0x88890010: "AUDCLNT_E_SERVICE_NOT_RUNNING",
    0x88890011: "AUDCLNT_E_EVENTHANDLE_NOT_EXPECTED",
    0x88890012: "AUDCLNT_E_EXCLUSIVE_MODE_ONLY",
    0x88890013: "AUDCLNT_E_BUFDURATION_PERIOD_NOT_EQUAL",
    0x88890014: "AUDCLNT_E_EVENTHANDLE_NOT_SET",
    0x88890015: "AUDCLNT_E_INCORRECT_BUFFER_SIZE",
    0x88890016: "AUDCLNT_E_BUFFER_SIZE_ERROR",
    0x88890017: "AUDCLNT_E_CPUUSAGE_EXCEEDED",
    0x88890018: "AUDCLNT_E_BUFFER_ERROR",
    0x88890019: "AUDCLNT_E_BUFFER_SIZE_NOT_ALIGNED",
    0x88890020: "AUDCLNT_E_INVALID_DEVICE_PERIOD",
    0x88890026: "AUDCLNT_E_RESOURCES_INVALIDATED",
    0x08890001: "AUDCLNT_S_BUFFER_EMPTY",
    0x80004001: "E_NOTIMPL",
    0x80004002: "E_NOINTERFACE",
    0x80004003: "E_POINTER",
    0x80004005: "E_FAIL",
    0x8000FFFF: "E_UNEXPECTED",
    0x80070005: "E_ACCESSDENIED",
    0x8007000E: "E_OUTOFMEMORY",
    0x80070057: "E_INVALIDARG",
    0x80070490: "E_NOTFOUND",
    0x80040154: "REGDB_E_CLASSNOTREG",
    0x80010106: "RPC_E_CHANGED_MODE",
    0x800401F0: "CO_E_NOTINITIALIZED",
}

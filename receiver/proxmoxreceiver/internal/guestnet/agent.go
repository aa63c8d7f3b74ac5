// Copyright The otelcol-mnm Authors
// SPDX-License-Identifier: Apache-2.0

package guestnet

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

var (
	// ErrAgentUnsupported means the guest agent answered but cannot run the
	// command (QGA error classes Unsupported, CommandNotFound,
	// CommandDisabled): an agent too old for it, or one that blocks it.
	// Retrying soon will not help.
	ErrAgentUnsupported = errors.New("guest agent does not support the command")
	// ErrAgentCommandDisabled is an ErrAgentUnsupported that says the
	// command is blocked by the agent's own configuration (qemu-ga
	// --block-rpcs or --allow-rpcs): an operator can enable it.
	ErrAgentCommandDisabled = errors.New("guest agent command disabled by its configuration")
	// ErrAgentFailed is any other in-band QGA error.
	ErrAgentFailed = errors.New("guest agent command failed")
)

// AgentError is a QGA error that Proxmox passes through in-band with HTTP
// 200, {"result":{"error":{...}}} (qemu-server src/PVE/API2/Qemu/Agent.pm
// register_command returns the agent's answer without check_agent_error).
// errors.Is matches ErrAgentUnsupported (and ErrAgentCommandDisabled) or
// ErrAgentFailed depending on Class and Desc.
type AgentError struct {
	Command string // network-get-interfaces, get-fsinfo, ...
	Class   string // "Unsupported", "GenericError", ...
	Desc    string
}

func (e *AgentError) Error() string {
	return fmt.Sprintf("guest agent %s: %s: %s", e.Command, e.Class, e.Desc)
}

// Unwrap classifies the error. QEMU's qapi/qmp-dispatch.c answers a command
// blocked by qemu-ga's configuration with CommandNotFound "Command X has
// been disabled" (before QEMU 4.2 GenericError "The command X has been
// disabled for this instance"); "... disabled: the agent is in frozen
// state" is a backup's few seconds of fsfreeze, which passes.
func (e *AgentError) Unwrap() []error {
	disabled := strings.Contains(e.Desc, "has been disabled")
	switch {
	case disabled && strings.Contains(e.Desc, "frozen state"):
		return []error{ErrAgentFailed}
	case disabled:
		return []error{ErrAgentUnsupported, ErrAgentCommandDisabled}
	case e.Class == "Unsupported" || e.Class == "CommandNotFound" || e.Class == "CommandDisabled":
		return []error{ErrAgentUnsupported}
	}
	return []error{ErrAgentFailed}
}

// agentResult reads the data member of an agent GET of command:
// {"result": ...}, or the in-band error as *AgentError.
func agentResult(data json.RawMessage, command string) (json.RawMessage, error) {
	var envelope struct {
		Result json.RawMessage `json:"result"`
	}
	if err := json.Unmarshal(data, &envelope); err != nil {
		return nil, fmt.Errorf("decode agent %s: %w", command, err)
	}
	result := bytes.TrimSpace(envelope.Result)
	if len(result) == 0 || string(result) == "null" {
		return nil, fmt.Errorf("decode agent %s: missing \"result\"", command)
	}
	if result[0] != '{' {
		return result, nil
	}
	var obj struct {
		Error *struct {
			Class json.RawMessage `json:"class"`
			Desc  json.RawMessage `json:"desc"`
		} `json:"error"`
	}
	if err := json.Unmarshal(result, &obj); err != nil {
		return nil, fmt.Errorf("decode agent %s error object: %w", command, err)
	}
	if obj.Error == nil {
		return result, nil // an object result, such as get-osinfo's
	}
	return nil, &AgentError{Command: command, Class: rawString(obj.Error.Class), Desc: rawString(obj.Error.Desc)}
}

// ParseAgentInterfaces decodes the data member of GET /nodes/{node}/qemu/{vmid}/agent/network-get-interfaces:
// {"result":[...]} or {"result":{"error":{"class":...,"desc":...}}}, the latter returned as *AgentError.
func ParseAgentInterfaces(data json.RawMessage) ([]InterfaceAddrs, error) {
	const command = "network-get-interfaces"
	result, err := agentResult(data, command)
	if err != nil {
		return nil, err
	}
	if result[0] == '{' {
		return nil, fmt.Errorf("decode agent %s: \"result\" is an object without \"error\"", command)
	}
	var list []guestIface
	if err := json.Unmarshal(result, &list); err != nil {
		return nil, fmt.Errorf("decode agent %s result: %w", command, err)
	}
	return toInterfaceAddrsList(list), nil
}

// Filesystem is one entry of the agent's guest-get-fsinfo (QEMU
// qga/qapi-schema.json GuestFilesystemInfo).
type Filesystem struct {
	Name       string // sda1, dm-0, loop3; \\?\Volume{GUID}\ on Windows
	Mountpoint string // /, /boot/efi; C:\ on Windows, "System Reserved" without a letter
	Type       string // ext4, xfs, vfat, squashfs, NTFS, ...
	// HasSizes: the agent reported used-bytes and total-bytes. Agents before
	// QEMU 3.0, a failed statvfs and Windows volumes without a letter omit
	// them.
	HasSizes   bool
	UsedBytes  uint64
	TotalBytes uint64 // what an unprivileged user may fill, as df's Size
	Devices    []string
}

// ParseAgentFSInfo decodes the data member of GET
// /nodes/{node}/qemu/{vmid}/agent/get-fsinfo. An entry that is not an object
// (Windows agents may list a drive without media as null) is skipped.
func ParseAgentFSInfo(data json.RawMessage) ([]Filesystem, error) {
	const command = "get-fsinfo"
	result, err := agentResult(data, command)
	if err != nil {
		return nil, err
	}
	var entries []json.RawMessage
	if err := json.Unmarshal(result, &entries); err != nil {
		return nil, fmt.Errorf("decode agent %s result: %w", command, err)
	}
	out := make([]Filesystem, 0, len(entries))
	for _, raw := range entries {
		var e struct {
			Name       json.RawMessage `json:"name"`
			Mountpoint json.RawMessage `json:"mountpoint"`
			Type       json.RawMessage `json:"type"`
			Used       *uint64         `json:"used-bytes"`
			Total      *uint64         `json:"total-bytes"`
			Disk       []struct {
				Dev json.RawMessage `json:"dev"`
			} `json:"disk"`
		}
		if json.Unmarshal(raw, &e) != nil || bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
			continue
		}
		fs := Filesystem{Name: rawString(e.Name), Mountpoint: rawString(e.Mountpoint), Type: rawString(e.Type)}
		if e.Used != nil && e.Total != nil {
			fs.HasSizes, fs.UsedBytes, fs.TotalBytes = true, *e.Used, *e.Total
		}
		for _, d := range e.Disk {
			if dev := rawString(d.Dev); dev != "" {
				fs.Devices = append(fs.Devices, dev)
			}
		}
		out = append(out, fs)
	}
	return out, nil
}

// OSInfo is the agent's guest-get-osinfo (QEMU qga/qapi-schema.json
// GuestOSInfo): os-release's ID, NAME, PRETTY_NAME, VERSION_ID and uname on
// Linux; mswindows, "Microsoft Windows" and the build on Windows. Every
// member is optional.
type OSInfo struct {
	ID, Name, PrettyName, Version, VersionID string
	KernelRelease, KernelVersion, Machine    string
}

// ParseAgentOSInfo decodes the data member of GET
// /nodes/{node}/qemu/{vmid}/agent/get-osinfo.
func ParseAgentOSInfo(data json.RawMessage) (OSInfo, error) {
	const command = "get-osinfo"
	result, err := agentResult(data, command)
	if err != nil {
		return OSInfo{}, err
	}
	var o map[string]json.RawMessage
	if err := json.Unmarshal(result, &o); err != nil {
		return OSInfo{}, fmt.Errorf("decode agent %s result: %w", command, err)
	}
	return OSInfo{
		ID: rawString(o["id"]), Name: rawString(o["name"]), PrettyName: rawString(o["pretty-name"]),
		Version: rawString(o["version"]), VersionID: rawString(o["version-id"]),
		KernelRelease: rawString(o["kernel-release"]), KernelVersion: rawString(o["kernel-version"]), Machine: rawString(o["machine"]),
	}, nil
}

// ParseAgentHostName decodes the data member of GET
// /nodes/{node}/qemu/{vmid}/agent/get-host-name: {"result":{"host-name":...}}
// (gethostname on Linux, the NetBIOS name on Windows).
func ParseAgentHostName(data json.RawMessage) (string, error) {
	const command = "get-host-name"
	result, err := agentResult(data, command)
	if err != nil {
		return "", err
	}
	var o struct {
		HostName json.RawMessage `json:"host-name"`
	}
	if err := json.Unmarshal(result, &o); err != nil {
		return "", fmt.Errorf("decode agent %s result: %w", command, err)
	}
	return rawString(o.HostName), nil
}

package extract

import "math"

// cyberWords mark a cyber incident or disclosure.
var cyberWords = map[string]float64{
	"cyberattack": 1, "cyberattacks": 1, "cyber-attack": 1, "cyber-attacks": 1, "hack": 1,
	"hacked": 1, "hacker": 1, "hackers": 1, "hacking": 1, "breach": 1, "breached": 1,
	"breaches": 1, "malware": 1, "ransomware": 1, "leak": 0.5, "leaked": 0.5, "leaks": 0.5,
	"stolen": 0.7, "stole": 0.7, "exfiltrated": 1, "exfiltration": 1, "compromised": 0.5,
	"intrusion": 1, "phishing": 0.5, "spyware": 1, "unauthorized": 1, "unauthorised": 1,
	"espionage": 0.5, "cyber-espionage": 1, "zero-day": 0.5, "accessed": 0.5, "ransom": 1,
	"ddos": 1, "extortion": 0.5, "threat": 0.3, "theft": 0.5,
}

// cyberPairFirst are the first words of two-word incident names ("cyber
// attack"); relevance checks the word after them.
var cyberPairFirst = []string{"cyber", "security", "cybersecurity", "cyber-security"}

// strongCyber are the words that name a cyber incident unambiguously;
// without one, "leaked", "compromised" or "stolen" alone (politics, crime)
// cannot make an article relevant.
var strongCyber = map[string]bool{
	"cyberattack": true, "cyberattacks": true, "cyber-attack": true, "cyber-attacks": true,
	"hack": true, "hacked": true, "hacker": true, "hackers": true, "hacking": true,
	"malware": true, "ransomware": true, "unauthorized": true, "unauthorised": true,
	"phishing": true, "spyware": true, "ddos": true, "exfiltrated": true, "exfiltration": true,
	"intrusion": true, "breach": true, "breached": true, "cyber-espionage": true,
}

// defenseWords mark a defense link.
var defenseWords = map[string]float64{
	"defense": 1, "defence": 1, "military": 1, "missile": 1, "missiles": 1, "submarine": 1,
	"submarines": 1, "fighter": 1, "warship": 1, "warships": 1, "frigate": 1, "frigates": 1,
	"navy": 0.7, "naval": 1, "army": 0.7, "armed": 0.7, "weapons": 1, "munitions": 1,
	"ammunition": 1, "radar": 0.7, "radars": 0.7, "drone": 0.7, "drones": 0.7, "classified": 1,
	"arms": 0.7, "aerospace": 0.5, "combat": 0.7, "artillery": 1, "tank": 0.5, "howitzer": 1,
	"howitzers": 1, "shipbuilder": 0.5, "air-defense": 1, "self-defense": 1, "pentagon": 1,
	"export-controlled": 1, "sonar": 1, "contractor": 0.5, "contractors": 0.5,
}

// signalWords merges cyberWords and defenseWords for one lookup a word.
var signalWords = func() map[string]struct{ cyber, defense float64 } {
	m := map[string]struct{ cyber, defense float64 }{}
	for k, v := range cyberWords {
		e := m[k]
		e.cyber = v
		m[k] = e
	}
	for k, v := range defenseWords {
		e := m[k]
		e.defense = v
		m[k] = e
	}
	return m
}()

// relevance scores an article in [0,1]: evidence of a cyber incident times
// evidence of a defense link. Either alone scores low: procurement news has
// no incident, a retail breach no defense link.
func (an *annotator) relevance(figures []Figure) float64 {
	var cyber, def, words float64
	strong := false
	for i := range an.toks {
		t := &an.toks[i]
		if t.cls&clsSignal == 0 {
			continue
		}
		v := signalWords[t.key]
		w := 1.0
		if t.para == 0 {
			w = 2 // the headline says what the report is about
		}
		cyber += v.cyber * w
		words += v.defense * w
		if t.cls&clsStrong != 0 {
			strong = true
		}
	}
	// "cyber attack", "security incident" written as two words.
	for k := 0; k+1 < len(an.toks); k++ {
		if an.toks[k].cls&clsCyberPair == 0 {
			continue
		}
		switch an.toks[k].key {
		case "cyber", "security", "cybersecurity", "cyber-security":
			switch an.toks[k+1].key {
			case "attack", "attacks", "incident", "incidents", "breach":
				cyber++
				strong = true
			}
		}
	}
	// A count of exposed files or records is itself evidence of an incident
	// (a data exposure), as strong as any word.
	cyber += float64(len(figures))
	if len(figures) > 0 {
		strong = true
	}
	def = min(words, 3) * 0.5
	for ei, e := range an.ents {
		switch {
		case e.kind == kindCompany && e.sector == sectorDefense:
			if ei == an.primary {
				def += 3
			} else {
				def += 1.5
			}
		case e.kind == kindAgency && (e.typ == "defense" || e.typ == "military" || e.typ == "intel"):
			def += 1.5
		}
	}
	if !strong {
		cyber = min(cyber, 1)
	}
	c := 1 - math.Exp(-cyber/2)
	d := 1 - math.Exp(-def/2)
	return math.Round(c*d*1000) / 1000
}
